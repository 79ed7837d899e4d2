// The lease-backed election against a real etcd: one leader at a time, the oldest candidate leads,
// resigning hands over at once, and a candidate that loses etcd steps down.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EtcdElection } from './election.js';
import { EtcdStore } from './etcd-store.js';
import { LocalEtcd } from './local-etcd.js';

const skip = LocalEtcd.available() ? false : 'etcd is not installed (apt-get install etcd-server)';
let etcd: LocalEtcd | undefined;
before(async () => {
  if (!skip) etcd = await LocalEtcd.start();
});
after(async () => {
  await etcd?.stop();
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('etcd election', { skip }, () => {
  it('elects exactly one leader that every candidate agrees on, and hands over on resign', async () => {
    const stores = await Promise.all([0, 1, 2].map(() => EtcdStore.open({ endpoints: (etcd as LocalEtcd).endpoints, prefix: 'election-test/' })));
    const elections = stores.map((s) => new EtcdElection(s.client, 'election-test/leader/', { ttlMs: 2_000 }));
    elections[0]?.start('s0');
    await until(() => elections[0]?.isLeader() === true, 's0 leads');
    elections[1]?.start('s1');
    await until(() => elections[0]?.candidates().length === 2, 's1 is a candidate');
    elections[2]?.start('s2');
    await until(() => elections.every((e) => e.candidates().length === 3 && e.leader()?.value === 's0'), 'all agree on s0');
    assert.deepEqual(
      elections.map((e) => e.isLeader()),
      [true, false, false],
    );
    await elections[0]?.stop();
    await until(() => elections[1]?.leader()?.value === 's1' && elections[2]?.leader()?.value === 's1', `next oldest leads (${JSON.stringify(elections.map((e) => e.candidates().map((c) => c.value)))})`);
    assert.equal(elections[1]?.isLeader(), true);
    assert.equal(elections[2]?.isLeader(), false);
    await Promise.all(elections.slice(1).map((e) => e.stop()));
    await Promise.all(stores.map((s) => s.close()));
  });

  it('steps down when etcd goes away, and leads again when it is back', async () => {
    const e = etcd as LocalEtcd;
    const store = await EtcdStore.open({ endpoints: e.endpoints, prefix: 'election-loss/' });
    const election = new EtcdElection(store.client, 'election-loss/leader/', { ttlMs: 2_000 });
    election.start('only');
    await until(() => election.isLeader(), 'leads');
    await e.kill(0);
    const t0 = Date.now();
    await until(() => !election.isLeader(), 'steps down', 5_000);
    assert.ok(Date.now() - t0 < 2_000, `stepped down after ${Date.now() - t0} ms, before the 2 s lease could expire`);
    assert.equal(election.leader(), undefined, 'no leader is claimed without a live lease');
    await e.restart(0);
    await until(() => election.isLeader(), 'leads again', 15_000);
    await election.stop();
    await store.close();
  });
});
