// GET /v1/imported-services: Consul CE's bare array of what peers export to us, blocking on changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ImportedInstance } from '../catalog/service.js';
import { startTestAgent, type TestAgent } from '../test-agent.js';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t.close());

function inst(peer: string, service: string, node: string): ImportedInstance {
  return {
    node: { ID: '', Node: node, Address: '10.0.0.1', Datacenter: 'remote', TaggedAddresses: {}, Meta: {}, PeerName: peer },
    service: { Node: node, Kind: '', ID: `${service}-1`, Service: service, Tags: [], Address: '', TaggedAddresses: {}, Meta: {}, Port: 80, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: peer },
    checks: [],
  };
}

describe('/v1/imported-services', () => {
  it('answers [] with an index when nothing is imported', async () => {
    const r = await t.request('GET', '/v1/imported-services');
    assert.equal(r.status, 200);
    assert.equal(r.body, '[]');
    assert.ok(Number(r.headers['x-consul-index']) >= 1);
  });

  it('lists each imported service with its source peer, sorted, and wakes blocked readers', async () => {
    const idx = Number((await t.request('GET', '/v1/imported-services')).headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/imported-services?index=${idx}&wait=20s`);
    await new Promise((r) => setTimeout(r, 100));
    await t.agent.catalog.applyImportedService('west', 'web', [inst('west', 'web', 'w1')]);
    const woke = await blocked;
    assert.deepEqual(woke.json(), [{ Service: 'web', SourcePeer: 'west' }]);
    await t.agent.catalog.applyImportedService('east', 'api', [inst('east', 'api', 'e1')]);
    await t.agent.catalog.applyImportedService('east', 'web', [inst('east', 'web', 'e1')]);
    assert.deepEqual((await t.request('GET', '/v1/imported-services')).json(), [
      { Service: 'api', SourcePeer: 'east' },
      { Service: 'web', SourcePeer: 'east' },
      { Service: 'web', SourcePeer: 'west' },
    ]);
  });

  it('refuses a partition as Consul CE does', async () => {
    const r = await t.request('GET', '/v1/imported-services?partition=team');
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature');
  });
});
