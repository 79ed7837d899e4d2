// The importer's reconcile into a peer keyspace: changed objects written, missing ones removed,
// unchanged ones left alone, and local data never touched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService, type ImportedInstance } from './service.js';

function inst(node: string, id: string, status: 'passing' | 'critical' = 'passing'): ImportedInstance {
  return {
    node: { ID: '', Node: node, Address: '10.0.0.1', Datacenter: 'east', TaggedAddresses: {}, Meta: {}, PeerName: 'east' },
    service: { Node: node, Kind: '', ID: id, Service: 'web', Tags: [], Address: '', TaggedAddresses: {}, Meta: {}, Port: 80, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: 'east' },
    checks: [{ Node: node, CheckID: `${id}:overall-check`, Name: 'overall-check', Status: status, Notes: '', Output: '', ServiceID: id, ServiceName: 'web', ServiceTags: [], Type: '', ExposedPort: 0, Definition: {}, PeerName: 'east' }],
  };
}

describe('CatalogService.applyImportedService', () => {
  it('adds, updates, removes and prunes empty nodes, in the peer keyspace only', async () => {
    const store = new MemoryStore();
    const c = new CatalogService({ store, hub: new IndexHub(), log: SILENT_LOGGER });
    await c.register({ nodeName: 'n1', node: { ID: '', Node: 'n1', Address: '1.1.1.1', Datacenter: 'west', TaggedAddresses: {}, Meta: {}, PeerName: '' }, service: inst('n1', 'web-local').service, checks: [] });
    await c.applyImportedService('east', 'web', [inst('n1', 'web-1'), inst('n2', 'web-2')]);
    assert.equal(c.reader.healthService('east', 'web').length, 2);
    assert.equal(c.reader.healthService('', 'web').length, 1, 'the local web with the same node name is separate');
    const rev = await store.revision();
    await c.applyImportedService('east', 'web', [inst('n1', 'web-1'), inst('n2', 'web-2')]);
    assert.equal(await store.revision(), rev, 'an identical snapshot writes nothing');
    await c.applyImportedService('east', 'web', [inst('n1', 'web-1', 'critical')]);
    const after = c.reader.healthService('east', 'web');
    assert.deepEqual(after.map((e) => [e.service.value.ID, e.checks[0]?.value.Status]), [['web-1', 'critical']]);
    assert.equal(c.reader.node('east', 'n2'), undefined, 'a node left without services is removed');
    await c.applyImportedService('east', 'web', []);
    assert.deepEqual(c.reader.nodes('east'), []);
    assert.equal(c.reader.nodes('').length, 1);
  });

  it('deletes a peer keyspace in bounded batches', async () => {
    const c = new CatalogService({ store: new MemoryStore(), hub: new IndexHub(), log: SILENT_LOGGER });
    await c.applyImportedService('east', 'web', Array.from({ length: 10 }, (_, i) => inst(`n${i}`, `w${i}`)));
    assert.equal(await c.deleteImportedNodes('east', 4), 6);
    assert.equal(await c.deleteImportedNodes('east', 4), 2);
    assert.equal(await c.deleteImportedNodes('east', 4), 0);
    assert.deepEqual(c.reader.nodes('east'), []);
  });
});
