// Blocking-query bookkeeping: the last revision that touched each topic, and waiters woken on change.

interface Waiter {
  topics: readonly string[];
  minIndex: number;
  resolve: () => void;
  /** Set while the waiter is parked under its signal's abort listener. */
  signal: AbortSignal | undefined;
}

/**
 * Waiters parked per abort signal. Each signal gets one 'abort' listener, the first time something
 * waits on it, and keeps it: adding and removing an AbortSignal listener per wait costs tens of µs in
 * Node, which 10,000 queries woken at once would pay on the wake-up path.
 */
const bySignal = new WeakMap<AbortSignal, Set<Waiter>>();

/**
 * Tracks, per topic (e.g. "service web in keyspace local"), the store revision of its last change.
 * A query's index is the highest index among its topics, never lower than the floor (the store
 * revision at start-up), so X-Consul-Index never goes backwards, even across restarts.
 */
export class IndexHub {
  #floor: number;
  readonly #topics = new Map<string, number>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #listeners = new Set<(topics: readonly string[], revision: number) => void>();

  constructor(floor = 1) {
    this.#floor = Math.max(1, floor);
  }

  /** Raises the floor (used after loading state from the store). */
  setFloor(revision: number): void {
    this.#floor = Math.max(this.#floor, revision, 1);
  }

  index(topics: readonly string[]): number {
    let max = this.#floor;
    for (const t of topics) {
      const i = this.#topics.get(t);
      if (i !== undefined && i > max) max = i;
    }
    return max;
  }

  /** Records that `topics` changed at `revision` and wakes waiters whose index moved past theirs. */
  bump(topics: Iterable<string>, revision: number): void {
    const woken = new Set<Waiter>();
    const list = [...topics];
    for (const t of list) {
      if ((this.#topics.get(t) ?? 0) < revision) this.#topics.set(t, revision);
      const set = this.#waiters.get(t);
      if (!set) continue;
      for (const w of set) if (revision > w.minIndex) woken.add(w);
    }
    for (const w of woken) this.#release(w);
    for (const l of this.#listeners) l(list, revision);
  }

  /**
   * Calls `listener` after every bump with the topics it named (push-style consumers such as the
   * peering exporter, which must know *which* topics moved). Returns the unsubscribe function.
   */
  onBump(listener: (topics: readonly string[], revision: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #park(w: Waiter, signal: AbortSignal): void {
    let set = bySignal.get(signal);
    if (!set) {
      const parked = new Set<Waiter>();
      bySignal.set(signal, (set = parked));
      signal.addEventListener('abort', () => {
        for (const p of [...parked]) this.#release(p);
      }, { once: true });
    }
    set.add(w);
    w.signal = signal;
  }

  #release(w: Waiter): void {
    for (const t of w.topics) {
      const set = this.#waiters.get(t);
      if (!set) continue;
      set.delete(w);
      if (set.size === 0) this.#waiters.delete(t);
    }
    w.resolve();
  }

  /** Number of queries currently blocked (for metrics and tests). */
  waiting(): number {
    const all = new Set<Waiter>();
    for (const set of this.#waiters.values()) for (const w of set) all.add(w);
    return all.size;
  }

  /**
   * Resolves once index(topics) > minIndex, after `timeoutMs`, or when `signal` aborts —
   * whichever comes first. Never rejects.
   */
  wait(topics: readonly string[], minIndex: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.index(topics) > minIndex || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (waiter.signal) bySignal.get(waiter.signal)?.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { topics, minIndex, resolve: done, signal: undefined };
      for (const t of topics) {
        let set = this.#waiters.get(t);
        if (!set) this.#waiters.set(t, (set = new Set()));
        set.add(waiter);
      }
      const timer = setTimeout(() => this.#release(waiter), timeoutMs);
      if (signal) this.#park(waiter, signal);
    });
  }
}
