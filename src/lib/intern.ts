// A bounded pool of short strings, so values repeated across many records (a status, a datacenter,
// a tag, a service name) are one string in the heap instead of one copy per record. Decoders of
// bulk input (the peering importer) pass what they keep through it.

/** Strings longer than this are kept as they are (mostly unique: IDs, addresses, PEMs). */
const MAX_LENGTH = 48;

export class StringPool {
  readonly #pool = new Map<string, string>();
  readonly #capacity: number;

  /** `capacity` bounds the pool: when full it starts over (a bound on memory, not an LRU). */
  constructor(capacity = 16_384) {
    this.#capacity = capacity;
  }

  /** The pooled string equal to `s` (`s` itself the first time it is seen). */
  intern(s: string): string {
    if (s.length === 0 || s.length > MAX_LENGTH) return s;
    const hit = this.#pool.get(s);
    if (hit !== undefined) return hit;
    if (this.#pool.size >= this.#capacity) this.#pool.clear();
    this.#pool.set(s, s);
    return s;
  }

  /** `intern` over every value of a string map, into a new plain object. */
  internRecord(rec: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of Object.keys(rec)) {
      const v = this.intern(rec[k] as string);
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      else out[k] = v;
    }
    return out;
  }

  get size(): number {
    return this.#pool.size;
  }
}

/** Written so the conversion in `flat` is never dropped as dead code. */
let _sink = 0;

/**
 * The same string, made flat. A built string (a template-literal key, `JSON.stringify` output) is a
 * tree of fragments in V8 until something reads it as a whole, and a kept tree costs about twice the
 * flat string. Converting to a number makes V8 flatten the string in place first (the conversion
 * then fails fast on the first non-digit). For strings kept for good: store keys and values, index keys.
 */
export function flat(s: string): string {
  _sink = Number(s);
  return s;
}
