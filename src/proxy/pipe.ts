// Joins two sockets in both directions and tears both down when either side ends or fails.
import type { Duplex } from 'node:stream';

export function pipeBoth(a: Duplex, b: Duplex): void {
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close);
  b.on('error', close);
  a.on('close', close);
  b.on('close', close);
  a.pipe(b);
  b.pipe(a);
}

/** A tiny time-based cache for lookups against the agent. */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const e = this.#entries.get(key);
    if (e && Date.now() - e.at < this.#ttlMs) return e.value;
    const value = load();
    this.#entries.set(key, { at: Date.now(), value });
    value.catch(() => this.#entries.delete(key));
    return value;
  }
}

/** Tracks a server's open sockets so stop() can end them instead of waiting for peers to hang up. */
export class SocketSet {
  readonly #sockets = new Set<import('node:net').Socket>();

  add(s: import('node:net').Socket): void {
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
  }

  destroyAll(): void {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }
}
