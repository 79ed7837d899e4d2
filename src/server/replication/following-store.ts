// A Store whose writes return only once the store feed has applied them: the projections then hold
// every commit up to and including the caller's, in order, whichever server made them.
import type { Entry, ListResult, Store, TxnRequest, TxnResult, WatchBatch, WatchOptions } from '../../store/store.js';
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

  async txn(request: TxnRequest): Promise<TxnResult> {
    const r = await this.#inner.txn(request);
    if (r.wrote === false) return r;
    await this.#feed()?.waitFor(r.revision);
    return r;
  }

  compact(revision: number): Promise<void> {
    return this.#inner.compact(revision);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
