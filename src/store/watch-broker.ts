// Fans committed batches out to watchers, replaying history first, as async iterables with abort.
import { IsthmusError } from '../lib/errors.js';
import type { WatchBatch, WatchEvent, WatchOptions } from './store.js';

/** The most batches a slow watcher may fall behind before it is ended with RESOURCE_EXHAUSTED. */
export const DEFAULT_WATCH_QUEUE_LIMIT = 10_000;

interface Watcher {
  prefix: string;
  /** Batches below this revision are not delivered (the watcher asked to start later). */
  minRevision: number;
  queue: WatchBatch[];
  wake: (() => void) | undefined;
  failure: IsthmusError | undefined;
  closed: boolean;
}

/** What a backend must provide so the broker can replay history to a new watcher. */
export interface WatchHistorySource {
  /** Revision at or below which history is gone. */
  compactedRevision(): number;
  currentRevision(): number;
  /** Batches with revision >= fromRevision, filtered to the prefix, in order. */
  history(prefix: string, fromRevision: number): WatchBatch[];
}

function filterBatch(batch: WatchBatch, prefix: string): WatchBatch | undefined {
  if (prefix === '') return batch;
  const events: WatchEvent[] = batch.events.filter((e) => e.key.startsWith(prefix));
  return events.length > 0 ? { revision: batch.revision, events } : undefined;
}

export class WatchBroker {
  readonly #watchers = new Set<Watcher>();
  readonly #source: WatchHistorySource;
  readonly #queueLimit: number;
  #closed = false;

  constructor(source: WatchHistorySource, options: { queueLimit?: number } = {}) {
    this.#source = source;
    this.#queueLimit = options.queueLimit ?? DEFAULT_WATCH_QUEUE_LIMIT;
  }

  /** Delivers a committed batch to every matching watcher. */
  publish(batch: WatchBatch): void {
    for (const w of this.#watchers) {
      if (batch.revision < w.minRevision) continue;
      const filtered = filterBatch(batch, w.prefix);
      if (!filtered) continue;
      if (w.queue.length >= this.#queueLimit) {
        w.failure = new IsthmusError('RESOURCE_EXHAUSTED', `watch on "${w.prefix}" fell too far behind`, {
          reason: 'STORE_WATCH_OVERFLOW',
        });
        w.queue.length = 0;
      } else {
        w.queue.push(filtered);
      }
      w.wake?.();
    }
  }

  /** Ends every watch; used when the store closes. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watchers) {
      w.closed = true;
      w.wake?.();
    }
    this.#watchers.clear();
  }

  /** Registers synchronously (history and live changes cannot interleave), then iterates. */
  watch(prefix: string, options: WatchOptions = {}): AsyncIterable<WatchBatch> {
    const from = options.fromRevision;
    const watcher: Watcher = { prefix, minRevision: from ?? 0, queue: [], wake: undefined, failure: undefined, closed: this.#closed };
    if (from !== undefined) {
      const compacted = this.#source.compactedRevision();
      if (from <= compacted) {
        watcher.failure = new IsthmusError(
          'OUT_OF_RANGE',
          `cannot watch "${prefix}" from revision ${from}: history up to revision ${compacted} was compacted; list again and watch from the listed revision`,
          { reason: 'STORE_HISTORY_COMPACTED', details: { fromRevision: from, compactedRevision: compacted } },
        );
      } else if (from <= this.#source.currentRevision()) {
        watcher.queue.push(...this.#source.history(prefix, from));
      }
    }
    if (!watcher.failure && !watcher.closed) this.#watchers.add(watcher);
    const signal = options.signal;
    const onAbort = (): void => {
      watcher.closed = true;
      this.#watchers.delete(watcher);
      watcher.wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const watchers = this.#watchers;
    return {
      async *[Symbol.asyncIterator](): AsyncGenerator<WatchBatch> {
        try {
          for (;;) {
            const next = watcher.queue.shift();
            if (next) {
              yield next;
              continue;
            }
            if (watcher.failure) throw watcher.failure;
            if (watcher.closed) return;
            await new Promise<void>((resolve) => {
              watcher.wake = resolve;
            });
            watcher.wake = undefined;
          }
        } finally {
          signal?.removeEventListener('abort', onAbort);
          watchers.delete(watcher);
        }
      },
    };
  }
}
