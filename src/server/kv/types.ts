// The KV model: entries as kept in memory and as Consul renders them, and transaction operations.

export interface KvEntry {
  key: string;
  flags: number;
  /** The raw bytes; empty values are kept as an empty buffer and rendered as `null`. */
  value: Buffer;
  lockIndex: number;
  session?: string;
  createIndex: number;
  modifyIndex: number;
}

/** Consul's `api.KVPair` / `structs.DirEntry` JSON, keys in Consul's order. */
export interface RenderedEntry {
  LockIndex: number;
  Key: string;
  Flags: number;
  Value: string | null;
  Session?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export const KV_VERBS = [
  'set',
  'delete',
  'delete-tree',
  'cas',
  'delete-cas',
  'lock',
  'unlock',
  'get',
  'get-or-empty',
  'get-tree',
  'check-index',
  'check-session',
  'check-not-exists',
] as const;
export type KvVerb = (typeof KV_VERBS)[number];

export const KV_READ_VERBS: ReadonlySet<KvVerb> = new Set(['get', 'get-or-empty', 'get-tree', 'check-index', 'check-session', 'check-not-exists']);

export interface KvOp {
  verb: KvVerb;
  key: string;
  value?: Buffer;
  flags?: number;
  index?: number;
  session?: string;
  /** Set for an operation that cannot run (unknown verb, unsupported kind): fails with this text inside the transaction. */
  fail?: string;
}

/** One transaction failure, as Consul's `TxnError`. */
export interface KvOpError {
  OpIndex: number;
  What: string;
}

/** A result entry; `withValue` is false for writes and checks (Consul blanks their Value). */
export interface KvOpResult {
  entry: KvEntry;
  withValue: boolean;
}

export type KvTxnOutcome = { ok: true; results: KvOpResult[]; index: number } | { ok: false; errors: KvOpError[] };
