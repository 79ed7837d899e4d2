// The importer commits bursts of imported services in few transactions, bounded in size, and each
// sender learns about its own service's commit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService, type ImportedInstance } from '../catalog/service.js';
import { ImportBatcher } from './import-batcher.js';

function inst(node: string, name: string, id: string): ImportedInstance {
  return {
    node: { ID: '', Node: node, Address: '10.0.0.1', Datacenter: 'east', TaggedAddresses: {}, Meta: {}, PeerName: '' },
    service: { Node: node, Kind: '', ID: id, Service: name, Tags: [], Address: '', TaggedAddresses: {}, Meta: {}, Port: 80, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: '' },
    checks: [{ Node: node, CheckID: `${id}:overall-check`, Name: 'overall-check', Status: 'passing', Notes: '', Output: '', ServiceID: id, ServiceName: name, ServiceTags: [], Type: '', ExposedPort: 0, Definition: {}, PeerName: '' }],
  };
}

function setup(): { catalog: CatalogService; store: MemoryStore; txns: () => number } {
  const store = new MemoryStore();
  let txns = 0;
  const txn = store.txn.bind(store);
  store.txn = (req, o) => {
    txns += 1;
    return txn(req, o);
  };
  return { catalog: new CatalogService({ store, hub: new IndexHub(), log: SILENT_LOGGER }), store, txns: () => txns };
}

describe('ImportBatcher', () => {
  it('commits services that arrive together in one transaction and resolves each sender', async () => {
    const { catalog, txns } = setup();
    const b = new ImportBatcher((batch) => catalog.applyImportedServices('east', batch));
    const done = Array.from({ length: 200 }, (_, i) => b.add(`svc-${i}`, [inst(`n${i % 7}`, `svc-${i}`, `svc-${i}-1`), inst(`n${(i + 1) % 7}`, `svc-${i}`, `svc-${i}-2`)]));
    await Promise.all(done);
    assert.equal(txns(), 1, 'one store transaction for the burst');
    assert.equal(catalog.reader.serviceNames('east').length, 200);
    assert.equal(catalog.reader.nodes('east').length, 7);
    assert.equal(catalog.reader.healthService('east', 'svc-5').length, 2);
  });

  it('keeps a node that one service of the batch leaves and another joins; drops a node all leave', async () => {
    const { catalog } = setup();
    await catalog.applyImportedServices('east', [
      { name: 'a', instances: [inst('shared', 'a', 'a-1')] },
      { name: 'b', instances: [inst('lonely', 'b', 'b-1')] },
    ]);
    await catalog.applyImportedServices('east', [
      { name: 'a', instances: [] },
      { name: 'c', instances: [inst('shared', 'c', 'c-1')] },
      { name: 'b', instances: [] },
    ]);
    assert.deepEqual(catalog.reader.nodes('east').map((n) => n.value.Node), ['shared']);
    assert.deepEqual(catalog.reader.serviceNames('east'), ['c']);
    assert.deepEqual(catalog.reader.checksOfNode('east', 'lonely'), []);
  });

  it('a later payload for the same service in a burst replaces the earlier one; both senders resolve', async () => {
    const { catalog, txns } = setup();
    const b = new ImportBatcher((batch) => catalog.applyImportedServices('east', batch));
    await Promise.all([b.add('web', [inst('n1', 'web', 'w1'), inst('n2', 'web', 'w2')]), b.add('web', [inst('n1', 'web', 'w1')])]);
    assert.equal(txns(), 1);
    assert.deepEqual(catalog.reader.healthService('east', 'web').map((e) => e.service.value.ID), ['w1']);
  });

  it('bounds what it buffers: room() waits for commits once the bound is reached', async () => {
    const sizes: number[] = [];
    let release: () => void = () => {};
    const b = new ImportBatcher(
      async (batch) => {
        sizes.push(batch.reduce((n, s) => n + s.instances.length, 0));
        await new Promise<void>((r) => (release = r));
      },
      { maxInstances: 10 },
    );
    const five = (name: string): ImportedInstance[] => Array.from({ length: 5 }, (_, i) => inst(`n${i}`, name, `${name}-${i}`));
    void b.add('a', five('a'));
    await b.room(); // 5 buffered < 10: no wait
    void b.add('b', five('b')); // reaches 10: flushed now
    let roomy = false;
    const waiting = b.room().then(() => (roomy = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(roomy, false, 'the receive loop waits while the bound is in flight');
    assert.deepEqual(sizes, [10]);
    release();
    await waiting;
    assert.equal(roomy, true);
  });

  it('a failed commit rejects every sender of that batch', async () => {
    const b = new ImportBatcher(async () => {
      throw new Error('store is closed');
    });
    await assert.rejects(b.add('x', []), /store is closed/);
  });
});
