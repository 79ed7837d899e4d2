// One behavioural suite every Store backend must pass (run by each backend's test file).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IsthmusError } from '../lib/errors.js';
import type { Store, WatchBatch } from './store.js';

export interface StoreConformanceOptions {
  name: string;
  newStore: (opts: { historyRevisions?: number }) => Promise<Store> | Store;
  /** Close and reopen the same data (durable backends only). */
  reopen?: (store: Store) => Promise<Store>;
}

async function take(iter: AsyncIterable<WatchBatch>, n: number): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  if (n === 0) return out;
  for await (const b of iter) {
    out.push(b);
    if (out.length >= n) break;
  }
  return out;
}

async function put(s: Store, key: string, value: string): Promise<number> {
  return (await s.txn({ success: [{ type: 'put', key, value }] })).revision;
}

export function runStoreConformance(opts: StoreConformanceOptions): void {
  describe(`Store conformance: ${opts.name}`, () => {
    it('starts empty at revision 0', async () => {
      const s = await opts.newStore({});
      assert.equal(await s.revision(), 0);
      assert.deepEqual((await s.list('')).entries, []);
      assert.equal(await s.get('a'), undefined);
      await s.close();
    });

    it('gives each write transaction the next revision and tracks create/mod revisions and versions', async () => {
      const s = await opts.newStore({});
      assert.equal(await put(s, 'a', '1'), 1);
      assert.equal(await put(s, 'a', '2'), 2);
      assert.equal(await put(s, 'b', 'x'), 3);
      const a = await s.get('a');
      assert.deepEqual(a, { key: 'a', value: '2', createRevision: 1, modRevision: 2, version: 2 });
      const r = await s.txn({
        success: [
          { type: 'put', key: 'c', value: '1' },
          { type: 'put', key: 'd', value: '1' },
        ],
      });
      assert.equal(r.revision, 4, 'one transaction, one revision');
      assert.equal((await s.get('d'))?.modRevision, 4);
      await s.close();
    });

    it('does not advance the revision for a transaction that writes nothing', async () => {
      const s = await opts.newStore({});
      await put(s, 'a', '1');
      const r = await s.txn({ success: [{ type: 'delete', key: 'missing' }] });
      assert.equal(r.revision, 1);
      assert.equal(await s.revision(), 1);
      await s.close();
    });

    it('lists by prefix in key order with the revision it saw', async () => {
      const s = await opts.newStore({});
      for (const k of ['svc/b', 'svc/a', 'node/x', 'svc/c', 'svcx']) await put(s, k, k);
      const l = await s.list('svc/');
      assert.deepEqual(
        l.entries.map((e) => e.key),
        ['svc/a', 'svc/b', 'svc/c'],
      );
      assert.equal(l.revision, 5);
      assert.equal((await s.list('')).entries.length, 5);
      await s.close();
    });

    it('deletes single keys and whole prefixes atomically', async () => {
      const s = await opts.newStore({});
      for (const k of ['n/1/a', 'n/1/b', 'n/2/a']) await put(s, k, 'v');
      const r = await s.txn({ success: [{ type: 'deletePrefix', prefix: 'n/1/' }, { type: 'delete', key: 'n/2/a' }] });
      assert.equal(r.revision, 4);
      assert.deepEqual((await s.list('n/')).entries, []);
      await put(s, 'n/1/a', 'again');
      const e = await s.get('n/1/a');
      assert.equal(e?.createRevision, 5, 'a recreated key starts a new life');
      assert.equal(e?.version, 1);
      await s.close();
    });

    it('applies success ops when every compare holds and failure ops otherwise (compare-and-swap)', async () => {
      const s = await opts.newStore({});
      const created = await s.txn({ compare: [{ key: 'k', modRevision: 0 }], success: [{ type: 'put', key: 'k', value: 'v1' }] });
      assert.equal(created.succeeded, true);
      const again = await s.txn({ compare: [{ key: 'k', modRevision: 0 }], success: [{ type: 'put', key: 'k', value: 'v2' }] });
      assert.equal(again.succeeded, false, 'create-if-absent must fail when present');
      assert.equal((await s.get('k'))?.value, 'v1');
      const stale = await s.txn({
        compare: [{ key: 'k', modRevision: 99 }],
        success: [{ type: 'put', key: 'k', value: 'v3' }],
        failure: [{ type: 'put', key: 'conflicts', value: '1' }],
      });
      assert.equal(stale.succeeded, false);
      assert.equal((await s.get('k'))?.value, 'v1');
      assert.equal((await s.get('conflicts'))?.value, '1', 'failure branch ran');
      const ok = await s.txn({ compare: [{ key: 'k', modRevision: 1 }], success: [{ type: 'put', key: 'k', value: 'v4' }] });
      assert.equal(ok.succeeded, true);
      assert.equal((await s.get('k'))?.value, 'v4');
      await s.close();
    });

    it('loses no update when concurrent writers race with compare-and-swap retries', async () => {
      const s = await opts.newStore({});
      await put(s, 'counter', '0');
      const writer = async (): Promise<void> => {
        for (;;) {
          const cur = (await s.get('counter'))!;
          await new Promise((r) => setImmediate(r));
          const r = await s.txn({
            compare: [{ key: 'counter', modRevision: cur.modRevision }],
            success: [{ type: 'put', key: 'counter', value: String(Number(cur.value) + 1) }],
          });
          if (r.succeeded) return;
        }
      };
      await Promise.all(Array.from({ length: 25 }, writer));
      assert.equal((await s.get('counter'))?.value, '25');
      await s.close();
    });

    it('watches future changes under a prefix, one batch per revision', async () => {
      const s = await opts.newStore({});
      const ac = new AbortController();
      const w = s.watch('svc/', { signal: ac.signal });
      const got = take(w, 2);
      await put(s, 'other', 'x');
      await put(s, 'svc/a', '1');
      await s.txn({ success: [{ type: 'delete', key: 'svc/a' }, { type: 'put', key: 'svc/b', value: '2' }] });
      const batches = await got;
      assert.equal(batches[0]?.revision, 2);
      assert.deepEqual(
        batches[0]?.events.map((e) => [e.type, e.key]),
        [['put', 'svc/a']],
      );
      assert.equal(batches[1]?.revision, 3);
      assert.deepEqual(
        batches[1]?.events.map((e) => [e.type, e.key]),
        [
          ['delete', 'svc/a'],
          ['put', 'svc/b'],
        ],
      );
      ac.abort();
      await s.close();
    });

    it('resumes a watch from a past revision, replaying history then live changes', async () => {
      const s = await opts.newStore({});
      await put(s, 'a/1', 'x');
      await put(s, 'a/2', 'y');
      await put(s, 'a/3', 'z');
      const ac = new AbortController();
      const got = take(s.watch('a/', { fromRevision: 2, signal: ac.signal }), 3);
      await put(s, 'a/4', 'w');
      const revs = (await got).map((b) => b.revision);
      assert.deepEqual(revs, [2, 3, 4]);
      ac.abort();
      await s.close();
    });

    it('ends a watch cleanly when its signal aborts', async () => {
      const s = await opts.newStore({});
      const ac = new AbortController();
      const done = take(s.watch('', { signal: ac.signal }), 5);
      setTimeout(() => ac.abort(), 10);
      assert.deepEqual(await done, []);
      await s.close();
    });

    it('fails with OUT_OF_RANGE when a watch asks for compacted history', async () => {
      const s = await opts.newStore({});
      for (let i = 0; i < 10; i++) await put(s, `k/${i}`, 'v');
      await s.compact(6);
      const iter = s.watch('k/', { fromRevision: 3 });
      await assert.rejects(
        take(iter, 1),
        (err: unknown) => IsthmusError.is(err) && err.code === 'OUT_OF_RANGE' && /compacted/.test(err.message),
      );
      const ok = await take(s.watch('k/', { fromRevision: 7 }), 4);
      assert.deepEqual(
        ok.map((b) => b.revision),
        [7, 8, 9, 10],
      );
      await s.close();
    });

    it('compacts old history on its own once the retention is exceeded', async () => {
      const s = await opts.newStore({ historyRevisions: 5 });
      for (let i = 0; i < 20; i++) await put(s, 'k', String(i));
      await assert.rejects(take(s.watch('k', { fromRevision: 2 }), 1), (err: unknown) => IsthmusError.is(err) && err.code === 'OUT_OF_RANGE');
      // The retained window (after the history wrapped around several times) is intact and in order.
      const kept = await take(s.watch('k', { fromRevision: 16 }), 5);
      assert.deepEqual(
        kept.map((b) => [b.revision, b.events[0]?.type === 'put' ? b.events[0].entry.value : '']),
        [16, 17, 18, 19, 20].map((r) => [r, String(r - 1)]),
      );
      await s.compact(18);
      await assert.rejects(take(s.watch('k', { fromRevision: 17 }), 1), (err: unknown) => IsthmusError.is(err) && err.code === 'OUT_OF_RANGE');
      assert.deepEqual((await take(s.watch('k', { fromRevision: 19 }), 2)).map((b) => b.revision), [19, 20]);
      assert.equal(await put(s, 'k', 'x'), 21);
      assert.deepEqual((await take(s.watch('k', { fromRevision: 19 }), 3)).map((b) => b.revision), [19, 20, 21]);
      await s.close();
    });

    it('refuses use after close with a clear error', async () => {
      const s = await opts.newStore({});
      await s.close();
      await assert.rejects(s.get('a'), /store is closed/);
    });

    if (opts.reopen) {
      const reopen = opts.reopen;
      it('keeps data, revision and history across close and reopen', async () => {
        const s = await opts.newStore({});
        await put(s, 'a', '1');
        await put(s, 'b', '2');
        await s.txn({ success: [{ type: 'delete', key: 'a' }] });
        const s2 = await reopen(s);
        assert.equal(await s2.revision(), 3);
        assert.equal(await s2.get('a'), undefined);
        assert.equal((await s2.get('b'))?.value, '2');
        assert.equal(await put(s2, 'c', '3'), 4);
        const batches = await take(s2.watch('', { fromRevision: 1 }), 4);
        assert.deepEqual(
          batches.map((b) => b.revision),
          [1, 2, 3, 4],
        );
        await s2.close();
      });

      it('keeps the revision across reopen even when all history was compacted', async () => {
        const s = await opts.newStore({});
        await put(s, 'a', '1');
        await put(s, 'a', '2');
        await s.compact(2);
        const s2 = await reopen(s);
        assert.equal(await s2.revision(), 2);
        assert.equal(await put(s2, 'b', '1'), 3, 'revisions never repeat');
        await assert.rejects(take(s2.watch('', { fromRevision: 2 }), 1), (err: unknown) => IsthmusError.is(err) && err.code === 'OUT_OF_RANGE');
        await s2.close();
      });
    }
  });
}
