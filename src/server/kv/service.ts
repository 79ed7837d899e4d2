// The KV store: the only KV file that touches the store. Keeps every entry in memory (loaded at
// start), applies operations atomically (one store transaction per request or /v1/txn), and bumps
// the `kv` topic so blocking readers re-check their index.
import type { IndexHub } from '../../lib/index-hub.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp } from '../../store/store.js';
import type { KvEntry, KvOp, KvOpError, KvOpResult, KvTxnOutcome } from './types.js';
import { KV_READ_VERBS } from './types.js';

/** KV data lives under its own prefix of the store. */
const PREFIX = 'kv/';
export const KV_TOPIC = 'kv';

interface Stored {
  f: number;
  v: string;
  l: number;
  s?: string;
}

function storeKey(key: string): string {
  return PREFIX + key;
}

/** A staged view of one transaction: writes shadow the committed map until commit. */
type Staged = Map<string, KvEntry | null>;

/** Index placeholder for entries written by the running transaction (set to the commit revision). */
const PENDING = -1;

export class KvService {
  readonly #store: Store;
  readonly #hub: IndexHub;
  readonly #entries = new Map<string, KvEntry>();
  /** Revision at which each deleted key was last deleted (Consul's graveyard), for prefix indexes. */
  readonly #tombstones = new Map<string, number>();
  readonly #writes = new SerialQueue();
  /** Highest KV index seen (writes and deletes); at load the store revision, so it never goes back. */
  #tableIndex = 1;

  constructor(deps: { store: Store; hub: IndexHub }) {
    this.#store = deps.store;
    this.#hub = deps.hub;
  }

  async load(): Promise<void> {
    const { entries, revision } = await this.#store.list(PREFIX);
    for (const e of entries) {
      const s = JSON.parse(e.value) as Stored;
      const key = e.key.slice(PREFIX.length);
      this.#entries.set(key, { key, flags: s.f, value: Buffer.from(s.v, 'base64'), lockIndex: s.l, ...(s.s ? { session: s.s } : {}), createIndex: e.createRevision, modifyIndex: e.modRevision });
    }
    this.#tableIndex = Math.max(1, revision);
  }

  get(key: string): KvEntry | undefined {
    return this.#entries.get(key);
  }

  /** Entries whose key starts with `prefix`, sorted by key. */
  list(prefix: string): KvEntry[] {
    const out: KvEntry[] = [];
    for (const e of this.#entries.values()) if (e.key.startsWith(prefix)) out.push(e);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The highest index of any KV write or delete (never below 1). */
  tableIndex(): number {
    return this.#tableIndex;
  }

  /** The highest index under `prefix`, deletions included; the table index when nothing matches. */
  prefixIndex(prefix: string): number {
    let max = 0;
    for (const e of this.#entries.values()) if (e.modifyIndex > max && e.key.startsWith(prefix)) max = e.modifyIndex;
    for (const [k, rev] of this.#tombstones) if (rev > max && k.startsWith(prefix)) max = rev;
    return max === 0 ? this.#tableIndex : max;
  }

  /**
   * Applies operations as one transaction: either every operation succeeds and the writes commit
   * together (one index), or nothing is applied and every failure is reported.
   */
  apply(ops: readonly KvOp[]): Promise<KvTxnOutcome> {
    return this.#writes.run(async () => {
      const staged: Staged = new Map();
      const errors: KvOpError[] = [];
      const results: KvOpResult[] = [];
      ops.forEach((op, i) => {
        try {
          results.push(...this.#run(op, staged));
        } catch (err) {
          if (!(err instanceof OpFailed)) throw err;
          errors.push({ OpIndex: i, What: err.message });
        }
      });
      if (errors.length > 0) return { ok: false, errors };
      const writes = ops.some((op) => !KV_READ_VERBS.has(op.verb) && op.fail === undefined);
      if (!writes || staged.size === 0) return { ok: true, results: results.map(copyResult), index: this.#tableIndex };
      const revision = await this.#commit(staged);
      return { ok: true, results: results.map((r) => copyResult(r, revision)), index: revision };
    });
  }

  async #commit(staged: Staged): Promise<number> {
    const compare = [...staged.keys()].map((k) => ({ key: storeKey(k), modRevision: this.#entries.get(k)?.modifyIndex ?? 0 }));
    const success: TxnOp[] = [];
    for (const [k, e] of staged) {
      if (e) {
        const s: Stored = { f: e.flags, v: e.value.toString('base64'), l: e.lockIndex, ...(e.session ? { s: e.session } : {}) };
        success.push({ type: 'put', key: storeKey(k), value: JSON.stringify(s) });
      } else if (this.#entries.has(k)) {
        success.push({ type: 'delete', key: storeKey(k) });
      }
    }
    if (success.length === 0) return this.#tableIndex;
    const r = await this.#store.txn({ compare, success });
    // Only this queue writes under kv/, so the comparison cannot fail unless the store was edited underneath.
    if (!r.succeeded) throw new Error('KV store changed underneath the KV service');
    for (const [k, e] of staged) {
      if (e) {
        if (e.createIndex === PENDING) e.createIndex = r.revision;
        e.modifyIndex = r.revision;
        this.#entries.set(k, e);
        this.#tombstones.delete(k);
      } else if (this.#entries.delete(k)) {
        this.#tombstones.set(k, r.revision);
      }
    }
    this.#tableIndex = Math.max(this.#tableIndex, r.revision);
    this.#hub.bump([KV_TOPIC], r.revision);
    return r.revision;
  }

  #current(staged: Staged, key: string): KvEntry | undefined {
    if (staged.has(key)) return staged.get(key) ?? undefined;
    return this.#entries.get(key);
  }

  #under(staged: Staged, prefix: string): KvEntry[] {
    const keys = new Set<string>();
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) keys.add(k);
    for (const k of staged.keys()) if (k.startsWith(prefix)) keys.add(k);
    return [...keys]
      .sort()
      .map((k) => this.#current(staged, k))
      .filter((e): e is KvEntry => e !== undefined);
  }

  #set(staged: Staged, op: KvOp): KvEntry {
    const cur = this.#current(staged, op.key);
    const next: KvEntry = {
      key: op.key,
      flags: op.flags ?? 0,
      value: op.value ?? Buffer.alloc(0),
      lockIndex: cur?.lockIndex ?? 0,
      ...(cur?.session ? { session: cur.session } : {}),
      createIndex: cur ? cur.createIndex : PENDING,
      modifyIndex: PENDING,
    };
    staged.set(op.key, next);
    return next;
  }

  /** One operation against the staged view; throws OpFailed with Consul's text when it fails. */
  #run(op: KvOp, staged: Staged): KvOpResult[] {
    const k = op.key;
    const cur = this.#current(staged, k);
    const plain = (e: KvEntry | undefined): KvOpResult[] => (e ? [{ entry: e, withValue: false }] : []);
    if (op.fail !== undefined) throw new OpFailed(op.fail);
    switch (op.verb) {
      case 'set':
        return plain(this.#set(staged, op));
      case 'cas': {
        const idx = op.index ?? 0;
        if ((idx === 0 && cur) || (idx !== 0 && (!cur || cur.modifyIndex !== idx))) throw new OpFailed(`failed to set key ${JSON.stringify(k)}, index is stale`);
        return plain(this.#set(staged, op));
      }
      case 'delete':
        staged.set(k, null);
        return [];
      case 'delete-tree':
        for (const e of this.#under(staged, k)) staged.set(e.key, null);
        return [];
      case 'delete-cas':
        if (cur && cur.modifyIndex !== (op.index ?? 0)) throw new OpFailed(`failed to delete key ${JSON.stringify(k)}, index is stale`);
        staged.set(k, null);
        return [];
      case 'lock':
      case 'unlock':
        // Isthmus has no sessions API, so no session can hold or release a lock.
        throw new OpFailed(`invalid session ${JSON.stringify(op.session ?? '')}`);
      case 'get':
        if (!cur) throw new OpFailed(`key ${JSON.stringify(k)} doesn't exist`);
        return [{ entry: cur, withValue: true }];
      case 'get-or-empty':
        return [{ entry: cur ?? { key: k, flags: 0, value: Buffer.alloc(0), lockIndex: 0, createIndex: 0, modifyIndex: 0 }, withValue: true }];
      case 'get-tree':
        return this.#under(staged, k).map((entry) => ({ entry, withValue: true }));
      case 'check-index':
        if (!cur) throw new OpFailed(`failed to check index, key ${JSON.stringify(k)} doesn't exist`);
        if (cur.modifyIndex !== (op.index ?? 0)) throw new OpFailed(`failed index check for key ${JSON.stringify(k)}, current modify index ${cur.modifyIndex} != ${op.index ?? 0}`);
        return plain(cur);
      case 'check-session':
        if (!cur) throw new OpFailed(`failed to check session, key ${JSON.stringify(k)} doesn't exist`);
        if ((cur.session ?? '') !== (op.session ?? '')) throw new OpFailed(`failed session check for key ${JSON.stringify(k)}, current session ${JSON.stringify(cur.session ?? '')} != ${JSON.stringify(op.session ?? '')}`);
        return plain(cur);
      case 'check-not-exists':
        if (cur) throw new OpFailed(`key ${JSON.stringify(k)} exists`);
        return [];
    }
  }
}

/** A failed operation inside a transaction (becomes one entry of `Errors`). */
class OpFailed extends Error {}

function copyResult(r: KvOpResult, revision?: number): KvOpResult {
  const e = { ...r.entry };
  if (revision !== undefined) {
    if (e.createIndex === PENDING) e.createIndex = revision;
    if (e.modifyIndex === PENDING) e.modifyIndex = revision;
  }
  return { entry: e, withValue: r.withValue };
}
