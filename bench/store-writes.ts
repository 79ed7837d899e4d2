// Benchmark: sqlite Store write transactions per second, against bare better-sqlite3 upserts with the
// same durability settings (WAL, synchronous=FULL / NORMAL), in one run.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { fmt, printTable } from './stats.js';

function bare(path: string, sync: 'FULL' | 'NORMAL', n: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const stmt = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  const value = JSON.stringify({ Node: 'n', Address: '10.0.0.1', Service: 'web', Port: 8080 });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) stmt.run(`catalog/local/node/n${i % 500}`, value);
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return n / secs;
}

async function store(path: string, sync: 'FULL' | 'NORMAL', n: number): Promise<number> {
  const s = new SqliteStore(path, { synchronous: sync });
  const value = JSON.stringify({ Node: 'n', Address: '10.0.0.1', Service: 'web', Port: 8080 });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await s.txn({ success: [{ type: 'put', key: `catalog/local/node/n${i % 500}`, value }] });
  const secs = (performance.now() - t0) / 1000;
  await s.close();
  return n / secs;
}

export async function benchStoreWrites(tmp: string, n: number): Promise<Record<string, number>> {
  const rows: (string | number)[][] = [];
  const out: Record<string, number> = {};
  for (const sync of ['FULL', 'NORMAL'] as const) {
    const b = bare(join(tmp, `bare-${sync}.db`), sync, n);
    const s = await store(join(tmp, `store-${sync}.db`), sync, n);
    rows.push([`synchronous=${sync}`, fmt(b, 0), fmt(s, 0), fmt(s / b, 3)]);
    out[`storeWrites${sync}`] = s;
    out[`bareWrites${sync}`] = b;
  }
  printTable(`sqlite writes per second (${n} single-put transactions, each acknowledged)`, ['durability', 'bare better-sqlite3', 'isthmus Store.txn', 'ratio'], rows);
  return out;
}
