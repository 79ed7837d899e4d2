// Runs the store conformance suite against a real etcd (started here on free loopback ports), plus
// what only a shared store has: one prefix per cluster, identical revisions on every client, large values.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IsthmusError } from '../../lib/errors.js';
import { runStoreConformance } from '../conformance.js';
import { EtcdStore } from './etcd-store.js';
import { LocalEtcd } from './local-etcd.js';

let etcd: LocalEtcd | undefined;
let n = 0;
const skip = LocalEtcd.available() ? false : 'etcd is not installed (apt-get install etcd-server)';

before(async () => {
  if (!skip) etcd = await LocalEtcd.start();
});
after(async () => {
  await etcd?.stop();
});

const open = (prefix: string, historyRevisions?: number): Promise<EtcdStore> =>
  EtcdStore.open({ endpoints: (etcd as LocalEtcd).endpoints, prefix, ...(historyRevisions ? { historyRevisions } : {}) });

if (!skip) {
  runStoreConformance({ name: 'etcd', newStore: (o) => open(`conformance-${process.pid}-${n++}/`, o.historyRevisions) });
}

describe('etcd store: shared by several servers and clusters', { skip }, () => {
  it('gives two clients of one prefix identical revisions and each other’s writes through watches', async () => {
    const prefix = `shared-${n++}/`;
    const a = await open(prefix);
    const b = await open(prefix);
    const ac = new AbortController();
    const seen: number[] = [];
    const watching = (async () => {
      for await (const batch of b.watch('svc/', { fromRevision: 1, signal: ac.signal })) {
        seen.push(batch.revision);
        if (seen.length === 2) return;
      }
    })();
    const r1 = await a.txn({ success: [{ type: 'put', key: 'svc/web', value: '1' }] });
    const r2 = await b.txn({ success: [{ type: 'put', key: 'svc/db', value: '2' }] });
    await watching;
    assert.deepEqual(seen, [r1.revision, r2.revision]);
    assert.deepEqual(await a.get('svc/db'), await b.get('svc/db'));
    assert.equal(await a.revision(), await b.revision());
    ac.abort();
    await a.close();
    await b.close();
  });

  it('says whether a transaction wrote (its revision alone cannot tell on a shared etcd)', async () => {
    const s = await open(`wrote-${n++}/`);
    assert.equal((await s.txn({ success: [{ type: 'put', key: 'a', value: '1' }] })).wrote, true);
    assert.equal((await s.txn({ success: [{ type: 'delete', key: 'missing' }] })).wrote, false);
    assert.equal((await s.txn({ compare: [{ key: 'a', modRevision: 99 }], success: [{ type: 'put', key: 'a', value: '2' }] })).wrote, false);
    assert.equal((await s.txn({ success: [{ type: 'delete', key: 'a' }] })).wrote, true);
    await s.close();
  });

  it('keeps clusters with different prefixes apart', async () => {
    const a = await open(`east-${n++}/`);
    const b = await open(`west-${n++}/`);
    await a.txn({ success: [{ type: 'put', key: 'k', value: 'east' }] });
    assert.equal(await b.get('k'), undefined);
    assert.deepEqual((await b.list('')).entries, []);
    await a.close();
    await b.close();
  });

  it('stores a 1 MiB value and refuses one over etcd’s request limit with a precise error', async () => {
    const s = await open(`large-${n++}/`);
    const big = 'x'.repeat(1024 * 1024);
    await s.txn({ success: [{ type: 'put', key: 'big', value: big }] });
    assert.equal((await s.get('big'))?.value.length, big.length);
    await assert.rejects(
      s.txn({ success: [{ type: 'put', key: 'huge', value: 'y'.repeat(3 * 1024 * 1024) }] }),
      (err: unknown) => IsthmusError.is(err) && err.reason === 'STORE_VALUE_TOO_LARGE' && err.httpStatus === 413,
    );
    assert.equal(await s.get('huge'), undefined);
    await s.close();
  });

  it('answers UNAVAILABLE (not a hang) when etcd cannot be reached', async () => {
    await assert.rejects(
      EtcdStore.open({ endpoints: ['http://127.0.0.1:1'], prefix: 'nowhere/', callTimeoutMs: 500 }),
      (err: unknown) => IsthmusError.is(err) && err.code === 'UNAVAILABLE',
    );
  });
});
