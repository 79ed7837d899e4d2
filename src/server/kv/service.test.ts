// KvService over real stores: atomic transactions, CAS rules, prefix indexes with deletions, durability.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { KvService } from './service.js';
import type { KvOp } from './types.js';

async function fresh(): Promise<KvService> {
  const kv = new KvService({ store: new MemoryStore(), hub: new IndexHub() });
  await kv.load();
  return kv;
}

const set = (key: string, value: string, extra: Partial<KvOp> = {}): KvOp => ({ verb: 'set', key, value: Buffer.from(value), ...extra });

describe('KV service', () => {
  it('sets and reads entries with create and modify indexes from one commit', async () => {
    const kv = await fresh();
    const out = await kv.apply([set('a', '1'), set('b', '2', { flags: 7 })]);
    assert.ok(out.ok);
    const a = kv.get('a');
    const b = kv.get('b');
    assert.equal(a?.value.toString(), '1');
    assert.equal(b?.flags, 7);
    assert.equal(a?.modifyIndex, out.index);
    assert.equal(b?.createIndex, out.index);
    await kv.apply([set('a', '3')]);
    assert.equal(kv.get('a')?.createIndex, out.index, 'CreateIndex stays');
    assert.ok((kv.get('a')?.modifyIndex ?? 0) > out.index);
  });

  it('follows Consul CAS rules for set and delete', async () => {
    const kv = await fresh();
    assert.equal((await kv.apply([{ ...set('k', 'v'), verb: 'cas', index: 0 }])).ok, true, 'cas=0 creates');
    assert.equal((await kv.apply([{ ...set('k', 'w'), verb: 'cas', index: 0 }])).ok, false, 'cas=0 refuses an existing key');
    const idx = kv.get('k')?.modifyIndex ?? 0;
    assert.equal((await kv.apply([{ ...set('k', 'w'), verb: 'cas', index: idx + 100 }])).ok, false);
    assert.equal((await kv.apply([{ ...set('k', 'w'), verb: 'cas', index: idx }])).ok, true);
    assert.equal((await kv.apply([{ verb: 'delete-cas', key: 'k', index: 0 }])).ok, false, 'delete cas=0 never deletes an existing key');
    assert.equal((await kv.apply([{ verb: 'delete-cas', key: 'k', index: kv.get('k')?.modifyIndex ?? 0 }])).ok, true);
    assert.equal(kv.get('k'), undefined);
    assert.equal((await kv.apply([{ verb: 'delete-cas', key: 'k', index: 5 }])).ok, true, 'a missing key counts as deleted');
  });

  it('rolls back a whole transaction when one operation fails and reports every failure', async () => {
    const kv = await fresh();
    await kv.apply([set('x', 'old')]);
    const out = await kv.apply([set('x', 'new'), { verb: 'get', key: 'missing' }, { verb: 'check-not-exists', key: 'x' }]);
    assert.deepEqual(out, {
      ok: false,
      errors: [
        { OpIndex: 1, What: 'key "missing" doesn\'t exist' },
        { OpIndex: 2, What: 'key "x" exists' },
      ],
    });
    assert.equal(kv.get('x')?.value.toString(), 'old', 'nothing applied');
  });

  it('sees its own writes inside a transaction', async () => {
    const kv = await fresh();
    const out = await kv.apply([set('t/a', '1'), { verb: 'get', key: 't/a' }, { verb: 'delete', key: 't/a' }, { verb: 'get-or-empty', key: 't/a' }, set('t/b', '2'), { verb: 'get-tree', key: 't/' }]);
    assert.ok(out.ok);
    const got = out.results.map((r) => [r.entry.key, r.withValue ? r.entry.value.toString() : null, r.entry.modifyIndex]);
    assert.deepEqual(got, [
      ['t/a', null, out.index],
      ['t/a', '1', out.index],
      ['t/a', '', 0],
      ['t/b', null, out.index],
      ['t/b', '2', out.index],
    ]);
  });

  it('gives prefixes the highest index under them, deletions included', async () => {
    const kv = await fresh();
    await kv.apply([set('p/a', '1'), set('q/a', '1')]);
    const before = kv.prefixIndex('p/');
    await kv.apply([set('q/b', '2')]);
    assert.equal(kv.prefixIndex('p/'), before, 'writes elsewhere do not move the prefix index');
    const del = await kv.apply([{ verb: 'delete-tree', key: 'p/' }]);
    assert.ok(del.ok);
    assert.equal(kv.prefixIndex('p/'), del.index, 'the deletion moves it');
    assert.deepEqual(kv.list('p/'), []);
    assert.equal(kv.tableIndex(), del.index);
  });

  it('refuses session locks (no sessions exist)', async () => {
    const kv = await fresh();
    const out = await kv.apply([{ verb: 'lock', key: 'l', session: 's1', value: Buffer.alloc(0) }]);
    assert.deepEqual(out, { ok: false, errors: [{ OpIndex: 0, What: 'invalid session "s1"' }] });
  });

  it('keeps acknowledged writes across a restart on SQLite, under its own key prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isthmus-kv-'));
    try {
      const path = join(dir, 'kv.db');
      let store = new SqliteStore(path);
      let kv = new KvService({ store, hub: new IndexHub() });
      await kv.load();
      await kv.apply([set('dur/a', 'alpha', { flags: 9 }), { verb: 'set', key: 'dur/bin', value: Buffer.from([0, 255, 10]) }]);
      const idx = kv.get('dur/a')?.modifyIndex;
      await kv.apply([{ verb: 'delete', key: 'dur/bin' }]);
      await kv.apply([{ verb: 'set', key: 'dur/bin2', value: Buffer.from([1, 2, 3]) }]);
      await store.close();
      store = new SqliteStore(path);
      assert.deepEqual((await store.list('kv/')).entries.map((e) => e.key), ['kv/dur/a', 'kv/dur/bin2']);
      kv = new KvService({ store, hub: new IndexHub() });
      await kv.load();
      assert.equal(kv.get('dur/a')?.value.toString(), 'alpha');
      assert.equal(kv.get('dur/a')?.flags, 9);
      assert.equal(kv.get('dur/a')?.modifyIndex, idx);
      assert.deepEqual([...(kv.get('dur/bin2')?.value ?? [])], [1, 2, 3]);
      assert.equal(kv.get('dur/bin'), undefined);
      assert.ok(kv.tableIndex() >= (kv.get('dur/bin2')?.modifyIndex ?? 0), 'the table index never goes back after a restart');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
