// Equality of plain JSON-like data (what a record's JSON encoding would show), without encoding it.

/**
 * Whether `a` and `b` encode to the same JSON up to the order of object keys: primitives by value,
 * arrays element by element, plain objects by their defined keys (an `undefined` value counts as
 * absent, as in JSON). Cheaper than comparing `JSON.stringify` outputs and allocates nothing.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || x[k] === undefined) continue;
    defined += 1;
    if (!Object.hasOwn(y, k) || !sameData(x[k], y[k])) return false;
  }
  for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) defined -= 1;
  return defined === 0;
}
