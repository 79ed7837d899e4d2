// meta.k8s.io/v1 Table output (what `kubectl get` prints): CRD printer columns evaluated with JSONPath.
import type { Json, KObject, PrinterColumn, ResourceType } from './types.js';

/** Evaluates the JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[?(@.k=="v")].b`. */
export function jsonPath(obj: unknown, path: string): unknown[] {
  const tokens = path.replace(/^\{|\}$/g, '').match(/\.[^.[]+|\[\?\(@\.[\w.]+\s*==\s*(?:"[^"]*"|'[^']*')\)\]|\[\d+\]|\[\*\]/g) ?? [];
  let cur: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || v === undefined) continue;
      if (t.startsWith('.')) {
        const x = (v as Record<string, unknown>)[t.slice(1)];
        if (x !== undefined) next.push(x);
      } else if (t === '[*]') {
        if (Array.isArray(v)) next.push(...(v as unknown[]));
      } else if (/^\[\d+\]$/.test(t)) {
        if (Array.isArray(v)) {
          const x = (v as unknown[])[Number(t.slice(1, -1))];
          if (x !== undefined) next.push(x);
        }
      } else {
        const m = /^\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(t) as unknown as [string, string, string];
        if (Array.isArray(v)) {
          for (const item of v as unknown[]) {
            let f: unknown = item;
            for (const k of m[1].split('.')) f = f && typeof f === 'object' ? (f as Record<string, unknown>)[k] : undefined;
            if (f === m[2]) next.push(item);
          }
        }
      }
    }
    cur = next;
  }
  return cur;
}

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

function columnsFor(t: ResourceType): PrinterColumn[] {
  if (t.printerColumns?.length) return t.printerColumns;
  if (t.crd) return [AGE];
  if (t.plural === 'secrets') return [{ name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Data', type: 'integer', jsonPath: '.data' }, AGE];
  if (t.plural === 'events') return [{ name: 'Type', type: 'string', jsonPath: '.type' }, { name: 'Reason', type: 'string', jsonPath: '.reason' }, { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' }, { name: 'Message', type: 'string', jsonPath: '.message' }];
  return [AGE];
}

/** Go's duration.HumanDuration, which the API server uses for `date` columns ("5s", "3m20s", "2d4h"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  return `${Math.floor(h / 24 / 365)}y`;
}

function cell(col: PrinterColumn, obj: KObject): unknown {
  const values = jsonPath(obj, col.jsonPath);
  if (col.name === 'Data' && col.jsonPath === '.data') return Object.keys((values[0] as Json | undefined) ?? {}).length;
  if (values.length === 0) return col.type === 'integer' || col.type === 'number' ? null : null;
  if (col.name === 'Object' && col.jsonPath === '.involvedObject.name') {
    const io = obj.involvedObject as { kind?: string; name?: string } | undefined;
    return `${(io?.kind ?? '').toLowerCase()}/${io?.name ?? ''}`;
  }
  if (col.type === 'date' && typeof values[0] === 'string') {
    const t = Date.parse(values[0]);
    return Number.isNaN(t) ? values[0] : humanDuration(Date.now() - t);
  }
  const v = values.length === 1 ? values[0] : values.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
  if (col.type === 'string' && typeof v === 'object') return JSON.stringify(v);
  return v;
}

export function toTable(t: ResourceType, objs: KObject[], resourceVersion: string, includeObject: string): Json {
  const cols = columnsFor(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    ],
    rows: objs.map((o) => ({
      cells: [o.metadata.name, ...cols.map((c) => cell(c, o))],
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
