// What a sidecar remembers between connections: authorization answers (kept until the intentions
// that decide them change, with a time backstop), client identities already verified on a full TLS
// handshake (so resumed sessions need no chain walk), and TLS sessions per upstream endpoint.

/** Authorization answers are dropped at the latest after this long, even without a change notice. */
export const DECISION_BACKSTOP_MS = 30_000;
/** Bound on remembered identities and sessions (oldest forgotten first). */
export const MAX_REMEMBERED = 10_000;

function bounded<K, V>(m: Map<K, V>, key: K, value: V): void {
  m.delete(key);
  m.set(key, value);
  if (m.size > MAX_REMEMBERED) {
    const oldest = m.keys().next().value as K;
    m.delete(oldest);
  }
}

/** Authorization answers per client identity; `invalidate()` on every intention (or trust) change. */
export class DecisionCache<V> {
  readonly #entries = new Map<string, { at: number; value: Promise<V> }>();
  readonly #backstopMs: number;
  #generation = 0;

  constructor(backstopMs = DECISION_BACKSTOP_MS) {
    this.#backstopMs = backstopMs;
  }

  /** Changes seen so far (tests and logs). */
  get generation(): number {
    return this.#generation;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const e = this.#entries.get(key);
    if (e && Date.now() - e.at < this.#backstopMs) return e.value;
    const value = load();
    const entry = { at: Date.now(), value };
    bounded(this.#entries, key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }

  invalidate(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}

/** Client certificates (by SHA-256 fingerprint) whose chain was verified on a full handshake. */
export class VerifiedIdentities {
  readonly #byFingerprint = new Map<string, string>();

  remember(fingerprint256: string, uri: string): void {
    bounded(this.#byFingerprint, fingerprint256, uri);
  }

  /** The SPIFFE ID verified for this certificate before, if any. */
  lookup(fingerprint256: string): string | undefined {
    return this.#byFingerprint.get(fingerprint256);
  }

  clear(): void {
    this.#byFingerprint.clear();
  }
}

/** TLS sessions to reuse per upstream endpoint (host:port/SNI). */
export class SessionStore {
  readonly #sessions = new Map<string, Buffer>();

  get(key: string): Buffer | undefined {
    return this.#sessions.get(key);
  }

  set(key: string, session: Buffer): void {
    bounded(this.#sessions, key, session);
  }

  forget(key: string): void {
    this.#sessions.delete(key);
  }

  clear(): void {
    this.#sessions.clear();
  }
}
