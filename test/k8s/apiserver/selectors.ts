// Label and field selectors, as the API server parses them.
import { ApiStatusError, type KObject } from './types.js';

type Req = (labels: Record<string, string>) => boolean;

export function parseLabelSelector(text: string): Req {
  const reqs: Req[] = [];
  // Split on commas outside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts.map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      reqs.push(op === 'in' ? (l) => key in l && values.includes(l[key] as string) : (l) => !(key in l) || !values.includes(l[key] as string));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(raw))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!([\w./-]+)$/.exec(raw))) {
      const key = m[1] as string;
      reqs.push((l) => !(key in l));
    } else if (/^[\w./-]+$/.test(raw)) {
      reqs.push((l) => raw in l);
    } else {
      throw new ApiStatusError(400, 'BadRequest', `unable to parse requirement: found '${raw}', expected: identifier`);
    }
  }
  return (labels) => reqs.every((r) => r(labels));
}

function pathValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const k of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[k] : undefined;
  return cur === undefined || cur === null ? '' : String(cur);
}

export function parseFieldSelector(text: string): (o: KObject) => boolean {
  const reqs: ((o: KObject) => boolean)[] = [];
  for (const raw of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(raw);
    if (!m) throw new ApiStatusError(400, 'BadRequest', `invalid selector: '${text}'; can't understand '${raw}'`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    reqs.push(op === '!=' ? (o) => pathValue(o, path) !== value : (o) => pathValue(o, path) === value);
  }
  return (o) => reqs.every((r) => r(o));
}

export function matcher(query: URLSearchParams): (o: KObject) => boolean {
  const ls = query.get('labelSelector');
  const fs = query.get('fieldSelector');
  const l = ls ? parseLabelSelector(ls) : undefined;
  const f = fs ? parseFieldSelector(fs) : undefined;
  return (o) => (!l || l(o.metadata.labels ?? {})) && (!f || f(o));
}

/** A metav1.LabelSelector object (matchLabels, matchExpressions), as webhooks' object/namespace selectors use it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key] as string)
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key] as string)
      : e.operator === 'Exists' ? has
      : e.operator === 'DoesNotExist' ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}
