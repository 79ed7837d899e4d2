// The storage contract: an etcd-shaped, domain-free, revisioned key/value store with watches.

/** One stored key with its revision metadata (etcd's KeyValue). */
export interface Entry {
  key: string;
  value: string;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
  /** Number of writes since creation, starting at 1. */
  version: number;
}

/** A condition of a transaction: the key's modRevision must equal `modRevision` (0 = key absent). */
export interface Compare {
  key: string;
  modRevision: number;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string }
  | { type: 'delete'; key: string }
  | { type: 'deletePrefix'; prefix: string };

export interface TxnRequest {
  /** All must hold for `success` to run; otherwise `failure` runs. */
  compare?: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  /** The store revision after the transaction (unchanged when it wrote nothing). */
  revision: number;
  /**
   * Whether the transaction changed anything. Set by shared backends (etcd), whose revision can move
   * for writes of other clusters; a no-op there returns the latest revision, not one of its own.
   */
  wrote?: boolean;
}

export interface ListResult {
  entries: Entry[];
  /** The store revision the listing reflects; watch from `revision + 1` to continue. */
  revision: number;
}

export type WatchEvent =
  | { type: 'put'; key: string; entry: Entry }
  | { type: 'delete'; key: string; revision: number };

/** All events of one revision that match a watch's prefix. */
export interface WatchBatch {
  revision: number;
  events: WatchEvent[];
}

export interface WatchOptions {
  /**
   * First revision to deliver (inclusive). Omitted: only changes after the call.
   * A revision at or below the compacted revision fails with OUT_OF_RANGE.
   */
  fromRevision?: number;
  signal?: AbortSignal;
}

/** The read side: what GET handlers, DNS and proxy config builders are given. */
export interface ReadableStore {
  get(key: string): Promise<Entry | undefined>;
  list(prefix: string): Promise<ListResult>;
  /** The current revision (0 for a store that was never written). */
  revision(): Promise<number>;
  watch(prefix: string, options?: WatchOptions): AsyncIterable<WatchBatch>;
}

export interface TxnOptions {
  /**
   * Called once, synchronously, as soon as the transaction's outcome and revision are decided and
   * later transactions of this store will see it — possibly before it is durable. The returned
   * promise still resolves only once the transaction is durable (a backend with group commit
   * shares one fsync between the transactions decided meanwhile). Backends that decide and persist
   * in one step call it just before resolving.
   */
  onApplied?: (result: TxnResult) => void;
}

/** The full store: the read side plus atomic writes, compaction and closing. */
export interface Store extends ReadableStore {
  /** Applies a transaction atomically; resolves once it is durable (acknowledged writes survive kill -9). */
  txn(request: TxnRequest, options?: TxnOptions): Promise<TxnResult>;
  /** Forgets history at and below `revision`; watches from there then fail with OUT_OF_RANGE. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

/** Upper bound (exclusive) for keys that start with `prefix`. */
export function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}
