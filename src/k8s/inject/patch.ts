// Pure: the RFC 6902 JSON patch that turns one JSON document into another (what an admission webhook returns).
// Objects are compared key by key; an array that changed is replaced whole, except that items only
// added at the front or the back become single `add` operations.

export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export const pointerToken = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
/** Deep equality of plain JSON values (stops at the first difference). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (!isObj(a) || !isObj(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && same(a[k], b[k]));
}

function diffArray(path: string, a: unknown[], b: unknown[], out: PatchOp[]): void {
  // b = [...front, ...a, ...back]: adds only.
  for (let front = 0; front <= b.length - a.length; front++) {
    if (!a.every((v, i) => same(v, b[front + i]))) continue;
    for (let i = 0; i < front; i++) out.push({ op: 'add', path: `${path}/${i}`, value: b[i] });
    for (let i = front + a.length; i < b.length; i++) out.push({ op: 'add', path: `${path}/-`, value: b[i] });
    return;
  }
  out.push({ op: 'replace', path, value: b });
}

function diff(path: string, a: unknown, b: unknown, out: PatchOp[]): void {
  if (same(a, b)) return;
  if (isObj(a) && isObj(b)) {
    for (const k of Object.keys(a)) if (!(k in b)) out.push({ op: 'remove', path: `${path}/${pointerToken(k)}` });
    for (const [k, v] of Object.entries(b)) {
      const p = `${path}/${pointerToken(k)}`;
      if (!(k in a)) out.push({ op: 'add', path: p, value: v });
      else diff(p, a[k], v, out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) return diffArray(path, a, b, out);
  out.push({ op: 'replace', path, value: b });
}

/** The operations that make `from` into `to` (both plain JSON). */
export function jsonPatchBetween(from: unknown, to: unknown): PatchOp[] {
  const out: PatchOp[] = [];
  diff('', from, to, out);
  return out;
}
