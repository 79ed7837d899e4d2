// A Store whose writes return only once the store feed has applied them: the projections then hold
// every commit up to and including the caller's, in order, whichever server made them.
import type { Entry, ListResult, Store, TxnOptions, TxnRequest, TxnResult, WatchBatch, WatchOptions } from '../../store/store.js';
import type { StoreFeed } from './feed.js';

export class FollowingStore implements Store {
  readonly #inner: Store;
  readonly #feed: () => StoreFeed | undefined;

  /** `feed` is read lazily: projections load before the feed starts. */
  constructor(inner: Store, feed: () => StoreFeed | undefined) {
    this.#inner = inner;
    this.#feed = feed;
  }

  get inner(): Store {
    return this.#inner;
  }

  get(key: string): Promise<Entry | undefined> {
    return this.#inner.get(key);
  }

  list(prefix: string): Promise<ListResult> {
    return this.#inner.list(prefix);
  }

  revision(): Promise<number> {
    return this.#inner.revision();
  }

  watch(prefix: string, options?: WatchOptions): AsyncIterable<WatchBatch> {
    return this.#inner.watch(prefix, options);
  }

  /** Commits, then waits for the feed to apply the commit; `onApplied` runs only then (decide and persist are one step here). */
  async txn(request: TxnRequest, options?: TxnOptions): Promise<TxnResult> {
    const r = await this.#inner.txn(request);
    // A no-op's revision may belong to another cluster sharing etcd: only a write is waited for.
    if (r.wrote !== false) await this.#feed()?.waitFor(r.revision);
    options?.onApplied?.(r);
    return r;
  }

  compact(revision: number): Promise<void> {
    return this.#inner.compact(revision);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
