// Durable Store backend on SQLite (WAL, synchronous=FULL): an acknowledged write survives kill -9.
import Database from 'better-sqlite3';
import { IsthmusError } from '../../lib/errors.js';
import { prefixEnd } from '../store.js';
import type { Entry, ListResult, Store, TxnOp, TxnRequest, TxnResult, WatchBatch, WatchEvent, WatchOptions } from '../store.js';
import { WatchBroker } from '../watch-broker.js';

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

function toEntry(r: Row): Entry {
  return { key: r.key, value: r.value, createRevision: r.create_rev, modRevision: r.mod_rev, version: r.version };
}

export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #broker: WatchBroker;
  readonly #historyRevisions: number;
  #revision: number;
  #compacted: number;
  #closed = false;
  readonly #stmt;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#historyRevisions = options.historyRevisions ?? DEFAULT_SQLITE_HISTORY_REVISIONS;
    try {
      this.#db = new Database(path);
    } catch (err) {
      throw new IsthmusError('UNAVAILABLE', `cannot open store at "${path}": ${(err as Error).message}`, { cause: err });
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.#db.exec(SCHEMA);
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
      history: db.prepare<[number, string, string], LogRow>(
        'SELECT * FROM changelog WHERE rev >= ? AND key >= ? AND key < ? ORDER BY rev, seq',
      ),
      trim: db.prepare<[number]>('DELETE FROM changelog WHERE rev <= ?'),
      setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE name = ?'),
      getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      maxRev: db.prepare<[], { rev: number | null }>('SELECT MAX(rev) AS rev FROM changelog'),
    };
    this.#revision = Math.max(this.#stmt.getMeta.get('revision')?.value ?? 0, this.#stmt.maxRev.get()?.rev ?? 0);
    this.#compacted = this.#stmt.getMeta.get('compacted')?.value ?? 0;
    this.#broker = new WatchBroker({
      compactedRevision: () => this.#compacted,
      currentRevision: () => this.#revision,
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

  async txn(request: TxnRequest): Promise<TxnResult> {
    this.#assertOpen();
    const run = this.#db.transaction((): { ok: boolean; events: WatchEvent[] } => {
      const ok = (request.compare ?? []).every(
        (c) => (this.#stmt.modRev.get(c.key)?.mod_rev ?? 0) === c.modRevision,
      );
      // The revision is the newest changelog row; meta.revision is only refreshed on compaction.
      const events = this.#apply(ok ? request.success : (request.failure ?? []), this.#revision + 1);
      return { ok, events };
    });
    let result: { ok: boolean; events: WatchEvent[] };
    try {
      result = run.immediate();
    } catch (err) {
      throw new IsthmusError('UNAVAILABLE', `cannot write to store: ${(err as Error).message}`, { cause: err });
    }
    if (result.events.length > 0) {
      this.#revision += 1;
      if (this.#revision - this.#compacted >= 2 * this.#historyRevisions) this.#trim();
      this.#broker.publish({ revision: this.#revision, events: result.events });
    }
    return { succeeded: result.ok, revision: this.#revision };
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
    for (const r of this.#stmt.history.iterate(from, prefix, prefixEnd(prefix))) {
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
    this.#closed = true;
    this.#broker.close();
    this.#db.close();
  }
}
