// Runs the store conformance suite against the SQLite backend, including reopen durability, and the
// group-commit rules (decided together, acknowledged only after the shared COMMIT).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runStoreConformance } from '../conformance.js';
import type { Store } from '../store.js';
import { CHECKPOINT_WAL_BYTES, WAL_HARD_LIMIT_BYTES, SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'isthmus-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const paths = new WeakMap<Store, string>();

runStoreConformance({
  name: 'sqlite',
  newStore: (o) => {
    const path = join(dir, `store-${n++}.db`);
    const s = new SqliteStore(path, { historyRevisions: o.historyRevisions });
    paths.set(s, path);
    return s;
  },
  reopen: async (s) => {
    await s.close();
    const path = paths.get(s) as string;
    return new SqliteStore(path);
  },
});

describe('sqlite group commit', () => {
  it('decides concurrent transactions at once, commits them together and acknowledges only after the commit', async () => {
    const path = join(dir, `group-${n++}.db`);
    const s = new SqliteStore(path);
    const other = new Database(path, { readonly: true }); // a second connection sees only committed data
    const visible = (): number => (other.prepare("SELECT COUNT(*) AS c FROM kv WHERE key LIKE 'g/%'").get() as { c: number }).c;
    const events: string[] = [];
    const writes = Array.from({ length: 16 }, (_, i) =>
      s
        .txn(
          { success: [{ type: 'put', key: `g/${i}`, value: String(i) }] },
          {
            onApplied: (r) => {
              events.push(`applied ${r.revision}`);
              assert.equal(visible(), 0, 'nothing is visible to another connection before the commit');
            },
          },
        )
        .then((r) => {
          events.push(`acked ${r.revision}`);
          assert.equal(visible(), 16, 'an acknowledged write is committed (and every write of its batch with it)');
          return r.revision;
        }),
    );
    assert.deepEqual(await Promise.all(writes), Array.from({ length: 16 }, (_, i) => i + 1));
    assert.deepEqual(events, [...Array.from({ length: 16 }, (_, i) => `applied ${i + 1}`), ...Array.from({ length: 16 }, (_, i) => `acked ${i + 1}`)]);
    // A transaction sees the decided (not yet committed) writes before it: compare-and-swap stays exact.
    const [a, b] = await Promise.all([
      s.txn({ compare: [{ key: 'g/0', modRevision: 1 }], success: [{ type: 'put', key: 'g/0', value: 'x' }] }),
      s.txn({ compare: [{ key: 'g/0', modRevision: 1 }], success: [{ type: 'put', key: 'g/0', value: 'y' }] }),
    ]);
    assert.deepEqual([a.succeeded, b.succeeded], [true, false]);
    assert.equal((await s.get('g/0'))?.value, 'x');
    other.close();
    await s.close();
  });

  it('a failing transaction in a batch fails alone; the others commit', async () => {
    const path = join(dir, `group-${n++}.db`);
    const s = new SqliteStore(path);
    const good = s.txn({ success: [{ type: 'put', key: 'ok/1', value: '1' }] });
    // A NULL value violates NOT NULL inside its savepoint.
    const bad = s.txn({ success: [{ type: 'put', key: 'bad', value: null as unknown as string }] });
    const good2 = s.txn({ success: [{ type: 'put', key: 'ok/2', value: '2' }] });
    await assert.rejects(bad, /cannot write to store/);
    assert.deepEqual([(await good).revision, (await good2).revision], [1, 2]);
    await s.close();
    const again = new SqliteStore(path);
    assert.deepEqual((await again.list('')).entries.map((e) => e.key), ['ok/1', 'ok/2']);
    await again.close();
  });

  it('checkpoints the WAL on its worker thread once it outgrows the limit, and the WAL is then reused', async () => {
    const path = join(dir, `checkpoint-${n++}.db`);
    const s = new SqliteStore(path);
    const size = (p: string): number => statSync(p).size;
    const value = 'v'.repeat(16 * 1024);
    let i = 0;
    const writeMore = async (bytes: number): Promise<void> => {
      for (const end = i + Math.ceil(bytes / value.length); i < end; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, j) => s.txn({ success: [{ type: 'put', key: `big/${i + j}`, value }] })));
      }
    };
    try {
      await writeMore(CHECKPOINT_WAL_BYTES * 1.5);
      // Only a checkpoint writes pages into the database file itself.
      for (let t = 0; t < 200 && size(path) < CHECKPOINT_WAL_BYTES; t++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(size(path) >= CHECKPOINT_WAL_BYTES, `database file ${size(path)} bytes: the WAL was checkpointed`);
      // Once checkpointed, the writer starts the WAL over and cuts it back to the limit.
      for (let t = 0; t < 40 && size(`${path}-wal`) > CHECKPOINT_WAL_BYTES; t++) await writeMore(256 * 1024);
      assert.ok(size(`${path}-wal`) <= CHECKPOINT_WAL_BYTES, `WAL ${size(`${path}-wal`)} bytes`);
    } finally {
      await s.close();
    }
    const written = i;
    const again = new SqliteStore(path);
    const all = (await again.list('big/')).entries;
    assert.equal(all.length, written);
    assert.ok(all.every((e) => e.value === value));
    await again.close();
  });

  it('keeps the WAL bounded under sustained writes (the writer finishes a checkpoint the worker cannot)', async () => {
    const path = join(dir, `checkpoint-${n++}.db`);
    const s = new SqliteStore(path);
    const value = 'w'.repeat(16 * 1024);
    let largest = 0;
    try {
      // Three times the hard limit, written back to back: a PASSIVE checkpoint alone never catches up.
      for (let i = 0; i < (3 * WAL_HARD_LIMIT_BYTES) / value.length; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, j) => s.txn({ success: [{ type: 'put', key: `w/${i + j}`, value }] })));
        largest = Math.max(largest, statSync(`${path}-wal`).size);
      }
    } finally {
      await s.close();
    }
    // One batch of slack past the limit (8 values plus page headers) before the writer's checkpoint applies.
    assert.ok(largest <= WAL_HARD_LIMIT_BYTES + 1024 * 1024, `WAL reached ${largest} bytes`);
  });
});
