// Batches the imported services a peer stream delivers into few catalog transactions: services that
// arrive in the same turn of the event loop (up to a bound on buffered instances) commit together;
// each sender learns when (and whether) its own service was committed.
import type { ImportedInstance } from '../catalog/service.js';

/** Buffered instances above which the receive loop waits for a commit (bounds importer memory). */
export const DEFAULT_IMPORT_BATCH_INSTANCES = 5_000;

interface Pending {
  instances: ImportedInstance[];
  waiters: { resolve: () => void; reject: (e: Error) => void }[];
}

export type CommitBatch = (batch: { name: string; instances: ImportedInstance[] }[]) => Promise<unknown>;

export class ImportBatcher {
  readonly #commit: CommitBatch;
  readonly #max: number;
  #pending = new Map<string, Pending>();
  #buffered = 0;
  /** Instances handed to commits that have not finished. */
  #inflight = 0;
  #scheduled = false;
  /** The commit in flight (batches commit one at a time, in order). */
  #tail: Promise<void> = Promise.resolve();

  constructor(commit: CommitBatch, options: { maxInstances?: number } = {}) {
    this.#commit = commit;
    this.#max = options.maxInstances ?? DEFAULT_IMPORT_BATCH_INSTANCES;
  }

  /** Buffers one service's instances (a later payload for the same name replaces an earlier one). */
  add(name: string, instances: ImportedInstance[]): Promise<void> {
    let p = this.#pending.get(name);
    if (p) this.#buffered -= p.instances.length;
    else this.#pending.set(name, (p = { instances, waiters: [] }));
    p.instances = instances;
    this.#buffered += instances.length;
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    if (this.#buffered >= this.#max) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
    return done;
  }

  /** Resolves once fewer than the bound are buffered or being committed (the receive loop awaits it). */
  async room(): Promise<void> {
    while (this.#buffered + this.#inflight >= this.#max) {
      this.#flush();
      await this.#tail;
    }
  }

  /** Resolves once everything added so far is committed (or failed). */
  async drain(): Promise<void> {
    this.#flush();
    await this.#tail;
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    const size = this.#buffered;
    this.#pending = new Map();
    this.#buffered = 0;
    this.#inflight += size;
    this.#tail = this.#tail.then(async () => {
      try {
        await this.#commit([...batch].map(([name, p]) => ({ name, instances: p.instances })));
        for (const p of batch.values()) for (const w of p.waiters) w.resolve();
      } catch (err) {
        for (const p of batch.values()) for (const w of p.waiters) w.reject(err as Error);
      } finally {
        this.#inflight -= size;
      }
    });
  }
}
