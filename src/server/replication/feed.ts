// One watch on the whole store feeds every in-memory projection (catalog, config entries, ACLs, CA,
// peering) with the batches committed by any server, in revision order. Writers wait for the feed
// to pass their own commit, so a server still reads its own writes (see following-store.ts).
import { IsthmusError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { ReadableStore, WatchEvent } from '../../store/store.js';

/** Applies the events of one committed batch that fall under a subscriber's prefixes. */
export type BatchApplier = (events: WatchEvent[], revision: number) => void;

interface Subscriber {
  prefixes: string[];
  apply: BatchApplier;
}

interface Waiter {
  revision: number;
  resolve: () => void;
}

export class StoreFeed {
  readonly #store: ReadableStore;
  readonly #log: Logger;
  readonly #subscribers: Subscriber[] = [];
  #waiters: Waiter[] = [];
  #applied: number;
  #ac: AbortController | undefined;
  #failure: IsthmusError | undefined;
  #onFatal: (err: IsthmusError) => void;

  /** `fromRevision`: the revision every projection has loaded at least (the feed replays after it). */
  constructor(deps: { store: ReadableStore; log: Logger; onFatal?: (err: IsthmusError) => void }, fromRevision: number) {
    this.#store = deps.store;
    this.#log = deps.log;
    this.#applied = fromRevision;
    this.#onFatal = deps.onFatal ?? (() => undefined);
  }

  /** The highest revision applied to every projection. */
  get applied(): number {
    return this.#applied;
  }

  subscribe(prefixes: string[], apply: BatchApplier): void {
    this.#subscribers.push({ prefixes, apply });
  }

  start(): void {
    const ac = new AbortController();
    this.#ac = ac;
    void this.#run(ac.signal);
  }

  stop(): void {
    this.#ac?.abort();
    for (const w of this.#waiters) w.resolve();
    this.#waiters = [];
  }

  /** Resolves once the batch at `revision` (and every earlier one) has been applied. */
  waitFor(revision: number): Promise<void> {
    if (revision <= this.#applied) return Promise.resolve();
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve) => this.#waiters.push({ revision, resolve }));
  }

  async #run(signal: AbortSignal): Promise<void> {
    try {
      for await (const batch of this.#store.watch('', { fromRevision: this.#applied + 1, signal })) {
        for (const s of this.#subscribers) {
          const events = batch.events.filter((e) => s.prefixes.some((p) => e.key.startsWith(p)));
          if (events.length === 0) continue;
          try {
            s.apply(events, batch.revision);
          } catch (err) {
            this.#log.error('applying a replicated change failed', { revision: batch.revision, error: (err as Error).message });
          }
        }
        this.#applied = batch.revision;
        const ready = this.#waiters.filter((w) => w.revision <= batch.revision);
        if (ready.length > 0) {
          this.#waiters = this.#waiters.filter((w) => w.revision > batch.revision);
          for (const w of ready) w.resolve();
          // Let the writers that waited finish their own (identical) apply before the next batch lands.
          await new Promise((r) => setImmediate(r));
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      const e = IsthmusError.is(err) ? err : new IsthmusError('UNAVAILABLE', `store watch failed: ${(err as Error).message}`);
      this.#failure = e;
      this.#log.error('the store feed stopped; this server no longer follows the cluster', { code: e.code, error: e.message });
      for (const w of this.#waiters) w.resolve();
      this.#waiters = [];
      this.#onFatal(e);
    }
  }
}
