// A keyed work queue: one reconcile per key at a time (a key changed while running is run again after),
// per-key exponential backoff on failure, and a bound on how many keys run at once. Serialising per key is
// what keeps two reconciles of one acceptor from both generating a token (consul-k8s PR #1399).

export interface QueueOptions {
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class KeyedQueue {
  readonly #run: (key: string) => Promise<void>;
  readonly #opts: Required<QueueOptions>;
  readonly #pending = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #order: string[] = [];
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(run: (key: string) => Promise<void>, opts: QueueOptions = {}) {
    this.#run = run;
    this.#opts = { concurrency: opts.concurrency ?? 4, baseDelayMs: opts.baseDelayMs ?? 500, maxDelayMs: opts.maxDelayMs ?? 30_000 };
  }

  add(key: string, delayMs = 0): void {
    if (this.#stopped) return;
    if (delayMs > 0) {
      if (this.#timers.has(key)) return;
      this.#timers.set(
        key,
        setTimeout(() => {
          this.#timers.delete(key);
          this.add(key);
        }, delayMs),
      );
      return;
    }
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#pending.has(key)) return;
    this.#pending.add(key);
    this.#order.push(key);
    this.#pump();
  }

  /** The key's failure count, for backoff (reset by a success). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#pending.clear();
    this.#order.length = 0;
  }

  /** Resolves when nothing is running or queued (timers aside). */
  idle(): Promise<void> {
    if (this.#running.size === 0 && this.#pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#opts.concurrency && this.#order.length > 0) {
      const key = this.#order.shift() as string;
      this.#pending.delete(key);
      this.#running.add(key);
      this.#run(key).then(
        () => this.#done(key, true),
        () => this.#done(key, false),
      );
    }
    if (this.#running.size === 0 && this.#pending.size === 0) for (const r of this.#idle.splice(0)) r();
  }

  #done(key: string, ok: boolean): void {
    this.#running.delete(key);
    if (ok) this.#failures.delete(key);
    else {
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      this.add(key, Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** (n - 1)));
    }
    if (this.#dirty.delete(key)) this.add(key);
    this.#pump();
  }
}
