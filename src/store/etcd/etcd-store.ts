// Store backend on etcd v3 (3.4+): every acknowledged write is an etcd-committed transaction.
//
// Keys live under `<prefix>kv/` so several clusters can share one etcd. Store revisions are etcd
// revisions minus the cluster's *base* (the revision at which its prefix was first claimed, stored
// at `<prefix>meta/base`), so a fresh cluster starts at revision 0 and every server of a cluster
// sees identical revisions. etcd's revision is global: writes of other clusters sharing the etcd
// move this store's revision forward too (indexes stay monotonic, they just skip).
import { Etcd3, type IKeyValue, type IOptions, type IRequestOp, type IResponseHeader } from 'etcd3';
import { IsthmusError } from '../../lib/errors.js';
import type { Entry, ListResult, Store, TxnOp, TxnRequest, TxnResult, WatchBatch, WatchEvent, WatchOptions } from '../store.js';
import { etcdFailure } from './errors.js';
import { memberBreaker, unavailableRetry } from './fault-policy.js';

/** Revisions of history kept before the store compacts etcd on its own (etcd compaction is global). */
export const DEFAULT_ETCD_HISTORY_REVISIONS = 50_000;
/** Deadline of each unary etcd call: a server cut off from etcd answers within this. */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 5_000;

export interface EtcdTlsOptions {
  /** PEM of the CA that signed the etcd servers' certificates. */
  caPem: Buffer;
  /** Client certificate and key (PEM) when etcd requires client authentication. */
  certPem?: Buffer;
  keyPem?: Buffer;
}

export interface EtcdStoreOptions {
  /** e.g. `http://127.0.0.1:2379` (https:// with `tls`). */
  endpoints: string[];
  /** Key prefix of this cluster, ending in `/`. @default 'isthmus/' */
  prefix?: string;
  tls?: EtcdTlsOptions;
  /** @default DEFAULT_ETCD_HISTORY_REVISIONS */
  historyRevisions?: number;
  /** @default DEFAULT_ETCD_CALL_TIMEOUT_MS */
  callTimeoutMs?: number;
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The byte just above a prefix: etcd's range end for "every key starting with prefix". */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

export function etcdClientOptions(options: Pick<EtcdStoreOptions, 'endpoints' | 'tls' | 'callTimeoutMs'>): IOptions {
  const timeout = options.callTimeoutMs ?? DEFAULT_ETCD_CALL_TIMEOUT_MS;
  const hosts = options.endpoints.map((e) => e.trim()).filter((e) => e !== '');
  if (hosts.length === 0) throw new IsthmusError('INVALID_ARGUMENT', 'at least one etcd endpoint is required');
  return {
    hosts,
    ...(options.tls ? { credentials: { rootCertificate: options.tls.caPem, ...(options.tls.certPem ? { certChain: options.tls.certPem } : {}), ...(options.tls.keyPem ? { privateKey: options.tls.keyPem } : {}) } } : {}),
    // Catalog listings can be large; etcd's own request limit (--max-request-bytes) bounds writes.
    grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: { host: () => memberBreaker(), global: unavailableRetry() },
  };
}

export class EtcdStore implements Store {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #kv: string;
  readonly #historyRevisions: number;
  /** Ends each open watch (on close). */
  readonly #stops = new Set<() => void>();
  /** etcd revision of the cluster's base (store revision 0). */
  #base = 0;
  /** Highest etcd revision this client has seen in any response. */
  #seen = 0;
  #compacted = 0;
  #closed = false;

  private constructor(client: Etcd3, options: EtcdStoreOptions) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'isthmus/';
    this.#kv = `${this.#prefix}kv/`;
    this.#historyRevisions = options.historyRevisions ?? DEFAULT_ETCD_HISTORY_REVISIONS;
  }

  /** Connects and claims (or finds) the cluster's base revision. */
  static async open(options: EtcdStoreOptions): Promise<EtcdStore> {
    const client = new Etcd3(etcdClientOptions(options));
    const s = new EtcdStore(client, options);
    try {
      await s.#init();
    } catch (err) {
      client.close();
      throw etcdFailure(err, `cannot reach etcd at ${options.endpoints.join(',')}`);
    }
    return s;
  }

  /** The etcd client, shared with leadership (one connection pool per server). */
  get client(): Etcd3 {
    return this.#client;
  }

  get prefix(): string {
    return this.#prefix;
  }

  async #init(): Promise<void> {
    const metaKey = enc(`${this.#prefix}meta/base`);
    const r = await this.#client.kv.txn({
      compare: [{ key: metaKey, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: metaKey, value: enc('base') } }],
      failure: [{ request_range: { key: metaKey } }],
    });
    this.#observe(r.header);
    const kv = r.succeeded ? undefined : r.responses[0]?.response_range.kvs[0];
    this.#base = kv ? Number(kv.create_revision) : Number(r.header.revision);
    this.#compacted = this.#base;
  }

  #observe(h: IResponseHeader | undefined): number {
    const rev = Number(h?.revision ?? 0);
    if (rev > this.#seen) this.#seen = rev;
    return rev;
  }

  #rev(etcdRevision: number | string): number {
    return Math.max(0, Number(etcdRevision) - this.#base);
  }

  #entry(kv: IKeyValue): Entry {
    return {
      key: kv.key.toString('utf8').slice(this.#kv.length),
      value: kv.value.toString('utf8'),
      createRevision: this.#rev(kv.create_revision),
      modRevision: this.#rev(kv.mod_revision),
      version: Number(kv.version),
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw new IsthmusError('FAILED_PRECONDITION', 'store is closed');
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    try {
      return await fn();
    } catch (err) {
      throw etcdFailure(err, what);
    }
  }

  async get(key: string): Promise<Entry | undefined> {
    const r = await this.#call('etcd get failed', () => this.#client.kv.range({ key: enc(this.#kv + key) }));
    this.#observe(r.header);
    const kv = r.kvs[0];
    return kv ? this.#entry(kv) : undefined;
  }

  async list(prefix: string): Promise<ListResult> {
    const start = enc(this.#kv + prefix);
    const r = await this.#call('etcd list failed', () => this.#client.kv.range({ key: start, range_end: rangeEnd(start) }));
    const revision = this.#observe(r.header);
    return { entries: r.kvs.map((kv) => this.#entry(kv)), revision: this.#rev(revision) };
  }

  async revision(): Promise<number> {
    // A linearizable read of any key returns the current revision in its header.
    const r = await this.#call('etcd revision read failed', () => this.#client.kv.range({ key: enc(`${this.#prefix}meta/base`), keys_only: true }));
    return this.#rev(this.#observe(r.header));
  }

  #ops(ops: TxnOp[]): IRequestOp[] {
    return ops.map((op): IRequestOp => {
      if (op.type === 'put') return { request_put: { key: enc(this.#kv + op.key), value: enc(op.value) } };
      if (op.type === 'delete') return { request_delete_range: { key: enc(this.#kv + op.key) } };
      const start = enc(this.#kv + op.prefix);
      return { request_delete_range: { key: start, range_end: rangeEnd(start) } };
    });
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    const compare = (request.compare ?? []).map((c) => ({
      key: enc(this.#kv + c.key),
      target: 'Mod' as const,
      result: 'Equal' as const,
      // 0 means "absent": etcd compares a missing key as all-zero.
      mod_revision: c.modRevision === 0 ? 0 : c.modRevision + this.#base,
    }));
    const r = await this.#call('etcd transaction failed', () =>
      this.#client.kv.txn({ compare, success: this.#ops(request.success), failure: this.#ops(request.failure ?? []) }),
    );
    const etcdRev = this.#observe(r.header);
    const revision = this.#rev(etcdRev);
    if (revision - this.#historyRevisions > this.#rev(this.#compacted)) {
      await this.compact(revision - this.#historyRevisions).catch(() => undefined);
    }
    const wrote = r.responses.some((op) => op.response_put !== undefined && op.response_put !== null) || r.responses.some((op) => Number(op.response_delete_range?.deleted ?? 0) > 0);
    return { succeeded: r.succeeded, revision, wrote };
  }

  async compact(revision: number): Promise<void> {
    const target = Math.min(revision + this.#base, Math.max(this.#seen, this.#base));
    if (target <= this.#compacted) return;
    try {
      await this.#call('etcd compaction failed', () => this.#client.kv.compact({ revision: target }));
    } catch (err) {
      // Already compacted further (by another server or etcd's auto-compaction): nothing to do.
      if (!/compacted/i.test(String((err as Error).cause ?? err))) throw err;
    }
    this.#compacted = target;
  }

  /** Is history at etcd revision `rev` gone? (A range at a compacted revision fails.) */
  async #isCompacted(rev: number): Promise<boolean> {
    try {
      await this.#client.kv.range({ key: enc(`${this.#prefix}meta/base`), revision: rev, keys_only: true });
      return false;
    } catch (err) {
      return /compacted/i.test((err as Error).message);
    }
  }

  watch(prefix: string, options: WatchOptions = {}): AsyncIterable<WatchBatch> {
    this.#assertOpen();
    const from = options.fromRevision;
    // No revision: changes after the last revision this client has observed.
    const start = from !== undefined ? from + this.#base : this.#seen + 1;
    const keyPrefix = this.#kv + prefix;
    const watcher = this.#client.watch().prefix(keyPrefix).startRevision(String(start)).watcher();
    const queue: WatchBatch[] = [];
    let failure: IsthmusError | undefined;
    let done = false;
    let wake: (() => void) | undefined;
    const poke = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    watcher.on('data', (res) => {
      // Group events by revision: one batch per etcd revision (a transaction).
      let cur: WatchBatch | undefined;
      let last = 0;
      for (const ev of res.events) {
        const etcdRev = Number(ev.kv.mod_revision);
        last = etcdRev;
        const revision = this.#rev(etcdRev);
        if (!cur || cur.revision !== revision) {
          cur = { revision, events: [] };
          queue.push(cur);
        }
        const key = ev.kv.key.toString('utf8').slice(this.#kv.length);
        const event: WatchEvent = ev.type === 'Delete' ? { type: 'delete', key, revision } : { type: 'put', key, entry: this.#entry(ev.kv) };
        cur.events.push(event);
      }
      // Resume after the last delivered event (the client would resume after the header revision,
      // which can run ahead of a partial catch-up batch).
      if (last > 0) (watcher as unknown as { request: { start_revision: string } }).request.start_revision = String(last + 1);
      if (last > this.#seen) this.#seen = last;
      poke();
    });
    watcher.on('error', (err: Error) => {
      if (done) return;
      void (async () => {
        if (await this.#isCompacted(start)) {
          failure = new IsthmusError(
            'OUT_OF_RANGE',
            `cannot watch "${prefix}" from revision ${from ?? this.#rev(start)}: that history was compacted; list again and watch from the listed revision`,
            { reason: 'STORE_HISTORY_COMPACTED', details: { fromRevision: from ?? this.#rev(start) } },
          );
        } else {
          failure = new IsthmusError('UNAVAILABLE', `etcd watch on "${prefix}" ended: ${err.message}`, { reason: 'STORE_UNAVAILABLE' });
        }
        poke();
      })();
    });
    const stop = (): void => {
      if (done) return;
      done = true;
      this.#stops.delete(stop);
      void watcher.cancel().catch(() => undefined);
      poke();
    };
    this.#stops.add(stop);
    const signal = options.signal;
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    return {
      [Symbol.asyncIterator]: async function* (this: void): AsyncGenerator<WatchBatch> {
        try {
          for (;;) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            if (failure) throw failure;
            if (done) return;
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
        } finally {
          signal?.removeEventListener('abort', stop);
          stop();
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of [...this.#stops]) stop();
    // Let cancellations reach the wire before the channels close.
    await new Promise((r) => setTimeout(r, 0));
    this.#client.close();
  }
}
