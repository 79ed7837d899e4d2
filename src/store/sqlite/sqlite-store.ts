// Durable Store backend on SQLite (WAL): an acknowledged write survives kill -9 and, with the default
// `synchronous: 'FULL'`, power loss.
// Group commit: transactions decided in the same turn of the event loop run as savepoints of one
// SQLite transaction and share its COMMIT; each is acknowledged only once its COMMIT is on disk.
// The fsync of the write-ahead log runs on libuv's thread pool, not on the event loop: SQLite commits
// at synchronous=NORMAL (WAL appended, checkpoints still synced in order) and the store fdatasyncs the
// WAL itself, one sync at a time, acknowledging every batch committed before that sync began. While a
// sync is in flight the event loop keeps parsing requests and deciding the next batch. Checkpoints
// (copying the WAL into the database, with their own fsyncs) run on a worker thread (checkpointer.ts).
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { IsthmusError } from '../../lib/errors.js';
import { prefixEnd } from '../store.js';
import type { Entry, ListResult, Store, TxnOp, TxnOptions, TxnRequest, TxnResult, WatchBatch, WatchEvent, WatchOptions } from '../store.js';
import { WatchBroker } from '../watch-broker.js';

/** The WAL is checkpointed (off the event loop) once it holds this much since it last restarted. */
export const CHECKPOINT_WAL_BYTES = 4 * 1024 * 1024;
/** Past this size the writer finishes the checkpoint itself (briefly on the event loop) so the WAL stays bounded. */
export const WAL_HARD_LIMIT_BYTES = 4 * CHECKPOINT_WAL_BYTES;

/** Revisions of change history kept for watches. */
export const DEFAULT_SQLITE_HISTORY_REVISIONS = 50_000;

export interface SqliteStoreOptions {
  /** @default DEFAULT_SQLITE_HISTORY_REVISIONS */
  historyRevisions?: number;
  /**
   * SQLite `synchronous` level. FULL fsyncs every commit (survives power loss); NORMAL survives a
   * process crash but may lose the last commits on power loss. @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL';
}

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
}

interface LogRow extends Row {
  rev: number;
  type: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changelog (
  rev INTEGER NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL, key TEXT NOT NULL, value TEXT,
  create_rev INTEGER, mod_rev INTEGER, version INTEGER, PRIMARY KEY (rev, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
`;

/** Transactions decided since BEGIN, acknowledged together once COMMIT (the fsync) returns. */
interface Batch {
  startRevision: number;
  startCompacted: number;
  waiters: Waiter[];
}

interface Waiter {
  result: TxnResult;
  publish: WatchBatch | undefined;
  resolve: (r: TxnResult) => void;
  reject: (e: Error) => void;
}

function toEntry(r: Row): Entry {
  return { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.mod_rev, version: r.version };
}

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #broker: WatchBroker;
  readonly #historyRevisions: number;
  /** Newest decided revision (later transactions and reads see it). */
  #revision: number;
  /** Newest durable revision: what watches may deliver. */
  #committed: number;
  #compacted: number;
  #batch: Batch | undefined;
  /** The WAL file, fdatasync'd off the event loop (FULL); undefined when SQLite syncs (NORMAL: never). */
  readonly #walFd: number | undefined;
  /** Committed to the WAL, waiting for the next fdatasync. */
  #unsynced: Waiter[] = [];
  /** Revision of the newest committed batch (what the next sync makes durable). */
  #unsyncedRevision = 0;
  #syncing: Promise<void> | undefined;
  /** Set when an fdatasync failed: what is on disk is unknown, so nothing more is acknowledged. */
  #syncFailure: IsthmusError | undefined;
  readonly #path: string;
  #checkpointer: Worker | undefined;
  #checkpointing = false;
  #closed = false;
  readonly #stmt;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#historyRevisions = options.historyRevisions ?? DEFAULT_SQLITE_HISTORY_REVISIONS;
    this.#path = path;
    try {
      this.#db = new Database(path);
    } catch (err) {
      throw new IsthmusError('UNAVAILABLE', `cannot open store at "${path}": ${(err as Error).message}`, { cause: err });
    }
    this.#db.pragma('journal_mode = WAL');
    // FULL: commits append to the WAL without a sync on the event loop; #sync makes them durable.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    if ((options.synchronous ?? 'FULL') === 'FULL') {
      try {
        this.#walFd = openSync(`${path}-wal`, 'r');
        // Checkpoints move to the worker; a WAL reused after one is cut back to this size, so its
        // size tells how much was written since.
        this.#db.pragma('wal_autocheckpoint = 0');
        this.#db.pragma(`journal_size_limit = ${CHECKPOINT_WAL_BYTES}`);
      } catch {
        // No separate WAL file to sync (e.g. an in-memory database): let SQLite sync every commit.
        this.#db.pragma('synchronous = FULL');
      }
    }
    const db = this.#db;
    this.#stmt = {
      get: db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ?'),
      list: db.prepare<[string, string], Row>('SELECT * FROM kv WHERE key >= ? AND key < ? ORDER BY key'),
      modRev: db.prepare<[string], { mod_rev: number }>('SELECT mod_rev FROM kv WHERE key = ?'),
      upsert: db.prepare(
        `INSERT INTO kv (key, value, create_rev, mod_rev, version) VALUES (@key, @value, @rev, @rev, 1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev, version = kv.version + 1
         RETURNING *`,
      ),
      del: db.prepare<[string], Row>('DELETE FROM kv WHERE key = ? RETURNING *'),
      delRange: db.prepare<[string, string], Row>('DELETE FROM kv WHERE key >= ? AND key < ? RETURNING *'),
      log: db.prepare(
        `INSERT INTO changelog (rev, seq, type, key, value, create_rev, mod_rev, version)
         VALUES (@rev, @seq, @type, @key, @value, @create_rev, @mod_rev, @version)`,
      ),
      history: db.prepare<[number, number, string, string], LogRow>(
        'SELECT * FROM changelog WHERE rev >= ? AND rev <= ? AND key >= ? AND key < ? ORDER BY rev, seq',
      ),
      trim: db.prepare<[number]>('DELETE FROM changelog WHERE rev <= ?'),
      setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE name = ?'),
      getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      maxRev: db.prepare<[], { rev: number | null }>('SELECT MAX(rev) AS rev FROM changelog'),
    };
    this.#revision = Math.max(this.#stmt.getMeta.get('revision')?.value ?? 0, this.#stmt.maxRev.get()?.rev ?? 0);
    this.#committed = this.#revision;
    this.#compacted = this.#stmt.getMeta.get('compacted')?.value ?? 0;
    this.#broker = new WatchBroker({
      compactedRevision: () => this.#compacted,
      currentRevision: () => this.#committed,
      history: (prefix, from) => this.#history(prefix, from),
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new IsthmusError('FAILED_PRECONDITION', 'store is closed');
  }

  async get(key: string): Promise<Entry | undefined> {
    this.#assertOpen();
    const r = this.#stmt.get.get(key);
    return r ? toEntry(r) : undefined;
  }

  async list(prefix: string): Promise<ListResult> {
    this.#assertOpen();
    return { entries: this.#stmt.list.all(prefix, prefixEnd(prefix)).map(toEntry), revision: this.#revision };
  }

  async revision(): Promise<number> {
    return this.#revision;
  }

  async txn(request: TxnRequest, options: TxnOptions = {}): Promise<TxnResult> {
    this.#assertOpen();
    if (this.#syncFailure) throw this.#syncFailure;
    const batch = this.#openBatch();
    const run = this.#db.transaction((): { ok: boolean; events: WatchEvent[] } => {
      const ok = (request.compare ?? []).every(
        (c) => (this.#stmt.modRev.get(c.key)?.mod_rev ?? 0) === c.modRevision,
      );
      // The revision is the newest changelog row; meta.revision is only refreshed on compaction.
      const events = this.#apply(ok ? request.success : (request.failure ?? []), this.#revision + 1);
      return { ok, events };
    });
    let decided: { ok: boolean; events: WatchEvent[] };
    try {
      decided = run(); // a savepoint inside the batch's transaction: a failure undoes only this one
    } catch (err) {
      throw new IsthmusError('UNAVAILABLE', `cannot write to store: ${(err as Error).message}`, { cause: err });
    }
    let publish: WatchBatch | undefined;
    if (decided.events.length > 0) {
      this.#revision += 1;
      if (this.#revision - this.#compacted >= 2 * this.#historyRevisions) this.#trim();
      publish = { revision: this.#revision, events: decided.events };
    }
    const result = { succeeded: decided.ok, revision: this.#revision };
    options.onApplied?.(result);
    // Even a transaction that wrote nothing waits: its outcome may rest on earlier, not yet durable ones.
    return new Promise<TxnResult>((resolve, reject) => batch.waiters.push({ result, publish, resolve, reject }));
  }

  /** The open batch, or a new one (BEGIN IMMEDIATE) committed on the next turn of the event loop. */
  #openBatch(): Batch {
    if (this.#batch) return this.#batch;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw new IsthmusError('UNAVAILABLE', `cannot write to store: ${(err as Error).message}`, { cause: err });
    }
    const batch: Batch = { startRevision: this.#revision, startCompacted: this.#compacted, waiters: [] };
    this.#batch = batch;
    setImmediate(() => this.#commitBatch());
    return batch;
  }

  /** COMMIT (to the WAL), then acknowledge once it is on disk; on failure, undo and refuse the batch. */
  #commitBatch(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#db.exec('COMMIT');
    } catch (err) {
      try {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      } catch {
        // the connection is unusable; every later write fails too
      }
      this.#revision = batch.startRevision;
      this.#compacted = batch.startCompacted;
      const e = new IsthmusError('UNAVAILABLE', `cannot write to store: ${(err as Error).message}`, { cause: err });
      for (const w of batch.waiters) w.reject(e);
      return;
    }
    if (this.#walFd === undefined) {
      this.#acknowledge(batch.waiters, this.#revision);
      return;
    }
    for (const w of batch.waiters) this.#unsynced.push(w);
    this.#unsyncedRevision = this.#revision;
    this.#syncing ??= this.#sync();
  }

  /** Durable: watches may deliver up to `revision`, and the writers are answered. */
  #acknowledge(waiters: Waiter[], revision: number): void {
    this.#committed = revision;
    for (const w of waiters) if (w.publish) this.#broker.publish(w.publish);
    for (const w of waiters) w.resolve(w.result);
  }

  /**
   * fdatasync the WAL on the thread pool until nothing committed is left unsynced. Each sync covers
   * every batch whose COMMIT returned before it began; batches committed meanwhile wait for the next.
   */
  async #sync(): Promise<void> {
    const fd = this.#walFd as number;
    while (this.#unsynced.length > 0) {
      const waiters = this.#unsynced;
      const revision = this.#unsyncedRevision;
      this.#unsynced = [];
      const err = await new Promise<Error | null>((resolve) => fdatasync(fd, resolve));
      if (err) {
        this.#failSync(err, waiters);
        return;
      }
      this.#acknowledge(waiters, revision);
      this.#maybeCheckpoint();
    }
    this.#syncing = undefined;
  }

  /** Asks the checkpointer for a checkpoint once the WAL has grown past CHECKPOINT_WAL_BYTES. */
  #maybeCheckpoint(): void {
    if (this.#checkpointing || this.#closed || this.#walFd === undefined) return;
    const walBytes = fstatSync(this.#walFd).size;
    if (walBytes <= CHECKPOINT_WAL_BYTES) return;
    if (walBytes > WAL_HARD_LIMIT_BYTES) {
      // Under sustained writes a PASSIVE checkpoint never catches up with the writer, so the WAL is never
      // restarted and would grow without bound. The worker has already copied most frames: finish here, on
      // the writer's own connection, so the next commit starts the WAL over (and cuts it to the limit).
      this.#db.pragma('wal_checkpoint(RESTART)');
      return;
    }
    if (!this.#checkpointer) {
      const worker = new Worker(new URL('./checkpointer.js', import.meta.url), { workerData: { path: this.#path } });
      worker.unref();
      worker.on('message', () => (this.#checkpointing = false));
      // Without the worker, SQLite checkpoints on commit again (on the event loop, as before).
      const fallBack = (): void => {
        this.#checkpointer = undefined;
        this.#checkpointing = false;
        if (!this.#closed) this.#db.pragma('wal_autocheckpoint = 1000');
      };
      worker.on('error', fallBack);
      worker.on('exit', fallBack);
      this.#checkpointer = worker;
    }
    this.#checkpointing = true;
    this.#checkpointer.postMessage('checkpoint');
  }

  #failSync(err: Error, waiters: Waiter[]): void {
    this.#syncFailure = new IsthmusError('UNAVAILABLE', `cannot write to store: sync failed: ${err.message}`, { cause: err });
    for (const w of [...waiters, ...this.#unsynced]) w.reject(this.#syncFailure);
    this.#unsynced = [];
    this.#syncing = undefined;
  }

  #apply(ops: TxnOp[], rev: number): WatchEvent[] {
    const events: WatchEvent[] = [];
    let seq = 0;
    const logDelete = (r: Row): void => {
      this.#stmt.log.run({ rev, seq: seq++, type: 1, key: r.key, value: null, create_rev: null, mod_rev: null, version: null });
      events.push({ type: 'delete', key: r.key, revision: rev });
    };
    for (const op of ops) {
      if (op.type === 'put') {
        const r = this.#stmt.upsert.get({ key: op.key, value: op.value, rev }) as Row;
        this.#stmt.log.run({ rev, seq: seq++, type: 0, ...r });
        events.push({ type: 'put', key: op.key, entry: toEntry(r) });
      } else if (op.type === 'delete') {
        const r = this.#stmt.del.get(op.key);
        if (r) logDelete(r);
      } else {
        for (const r of this.#stmt.delRange.all(op.prefix, prefixEnd(op.prefix))) logDelete(r);
      }
    }
    return events;
  }

  #history(prefix: string, from: number): WatchBatch[] {
    const batches: WatchBatch[] = [];
    for (const r of this.#stmt.history.iterate(from, this.#committed, prefix, prefixEnd(prefix))) {
      const event: WatchEvent =
        r.type === 0 ? { type: 'put', key: r.key, entry: toEntry(r) } : { type: 'delete', key: r.key, revision: r.rev };
      const last = batches[batches.length - 1];
      if (last && last.revision === r.rev) last.events.push(event);
      else batches.push({ revision: r.rev, events: [event] });
    }
    return batches;
  }

  #trim(): void {
    const upTo = this.#revision - this.#historyRevisions;
    if (upTo > this.#compacted) this.#compactTo(upTo);
  }

  #compactTo(revision: number): void {
    this.#db.transaction(() => {
      this.#stmt.trim.run(revision);
      this.#stmt.setMeta.run(revision, 'compacted');
      this.#stmt.setMeta.run(this.#revision, 'revision');
    })();
    this.#compacted = revision;
  }

  async compact(revision: number): Promise<void> {
    this.#assertOpen();
    const upTo = Math.min(revision, this.#revision);
    if (upTo > this.#compacted) this.#compactTo(upTo);
  }

  watch(prefix: string, options?: WatchOptions): AsyncIterable<WatchBatch> {
    return this.#broker.watch(prefix, options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commitBatch(); // acknowledge what was decided before closing
    this.#closed = true;
    if (this.#syncing) await this.#syncing;
    if (this.#walFd !== undefined) {
      if (this.#unsynced.length > 0) {
        try {
          fdatasyncSync(this.#walFd);
          this.#acknowledge(this.#unsynced, this.#unsyncedRevision);
        } catch (err) {
          this.#failSync(err as Error, []);
        }
      }
      closeSync(this.#walFd);
    }
    const worker = this.#checkpointer;
    if (worker) {
      this.#checkpointer = undefined;
      worker.removeAllListeners('exit');
      await worker.terminate();
    }
    this.#broker.close();
    this.#db.close();
  }
}
