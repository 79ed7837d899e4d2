// In-process tests of /v1/config: CAS, reads, deletes, blocking, and every §7 validation message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t.close());

const put = (body: unknown, q = '') => t.request('PUT', `/v1/config${q}`, body);

describe('config entry API', () => {
  it('writes, reads and lists an entry with indexes', async () => {
    const r = await put({ Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'west' }] }] });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'true');
    const e = (await t.request('GET', '/v1/config/exported-services/default')).json<Obj>();
    assert.equal(e.Kind, 'exported-services');
    assert.deepEqual(e.Services, [{ Name: 'web', Consumers: [{ Peer: 'west' }] }]);
    assert.ok(Number(e.CreateIndex) > 0 && Number(e.ModifyIndex) >= Number(e.CreateIndex));
    const list = (await t.request('GET', '/v1/config/exported-services')).json<Obj[]>();
    assert.equal(list.length, 1);
  });

  it('accepts snake_case keys and the legacy consumer key PeerName', async () => {
    const r = await put({ kind: 'exported-services', name: 'default', services: [{ name: 'api', consumers: [{ peer_name: 'east' }] }] });
    assert.equal(r.status, 200, r.body);
    const e = (await t.request('GET', '/v1/config/exported-services/default')).json<Obj>();
    assert.deepEqual(e.Services, [{ Name: 'api', Consumers: [{ Peer: 'east' }] }]);
  });

  it('honours ?cas: 0 creates only, a stale index fails, the current index wins', async () => {
    assert.equal((await put({ Kind: 'service-defaults', Name: 'web', Protocol: 'http' }, '?cas=0')).body, 'true');
    assert.equal((await put({ Kind: 'service-defaults', Name: 'web', Protocol: 'tcp' }, '?cas=0')).body, 'false');
    const cur = (await t.request('GET', '/v1/config/service-defaults/web')).json<Obj>();
    assert.equal((await put({ Kind: 'service-defaults', Name: 'web', Protocol: 'grpc' }, '?cas=1')).body, 'false');
    assert.equal((await put({ Kind: 'service-defaults', Name: 'web', Protocol: 'grpc' }, `?cas=${String(cur.ModifyIndex)}`)).body, 'true');
    assert.equal((await t.request('GET', '/v1/config/service-defaults/web')).json<Obj>().Protocol, 'grpc');
  });

  it('deletes with {} or, with ?cas, true/false', async () => {
    await put({ Kind: 'service-defaults', Name: 'gone', Protocol: 'http' });
    assert.equal((await t.request('DELETE', '/v1/config/service-defaults/gone?cas=0')).body, 'false');
    assert.equal((await t.request('DELETE', '/v1/config/service-defaults/gone')).body, '{}');
    const missing = await t.request('GET', '/v1/config/service-defaults/gone');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, 'Config entry not found for "service-defaults" / "gone"');
    const kindOnly = await t.request('DELETE', '/v1/config/service-defaults');
    assert.equal(kindOnly.status, 404);
    assert.equal(kindOnly.body, 'Must provide both a kind and name to delete');
  });

  it('fills the fixed names of mesh and proxy-defaults', async () => {
    assert.equal((await put({ Kind: 'mesh', Peering: { PeerThroughMeshGateways: true } })).status, 200);
    assert.equal((await t.request('GET', '/v1/config/mesh/mesh')).json<Obj>().Name, 'mesh');
    assert.equal((await put({ Kind: 'proxy-defaults', MeshGateway: { Mode: 'local' } })).status, 200);
    assert.equal((await t.request('GET', '/v1/config/proxy-defaults/global')).json<Obj>().Name, 'global');
  });

  it('wakes a blocking read when the entry changes', async () => {
    const first = await t.request('GET', '/v1/config/mesh/mesh');
    const index = Number(first.headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/config/mesh/mesh?index=${index}&wait=5s`);
    await new Promise((r) => setTimeout(r, 50));
    await put({ Kind: 'mesh', Peering: { PeerThroughMeshGateways: false } });
    const r = await blocked;
    assert.ok(Number(r.headers['x-consul-index']) > index);
    assert.deepEqual(r.json<Obj>().Peering, { PeerThroughMeshGateways: false });
  });

  it('sorts intention sources by precedence and computes it', async () => {
    await put({ Kind: 'service-intentions', Name: 'web', Sources: [{ Name: '*', Action: 'deny' }, { Name: 'api', Action: 'allow' }, { Name: 'api', Peer: 'west', Action: 'allow' }] });
    const e = (await t.request('GET', '/v1/config/service-intentions/web')).json<{ Sources: Obj[] }>();
    assert.deepEqual(
      e.Sources.map((s) => [s.Name, s.Peer ?? '', s.Precedence, s.Type]),
      [
        ['api', '', 9, 'consul'],
        ['api', 'west', 9, 'consul'],
        ['*', '', 8, 'consul'],
      ],
    );
  });
});

describe('config entry validation (spec §7 texts)', () => {
  const cases: [string, Obj, string][] = [
    ['no kind', { Name: 'x' }, 'Request decoding failed: Payload does not contain a kind/Kind key at the top level'],
    ['unknown kind', { Kind: 'nope', Name: 'x' }, 'Request decoding failed: invalid config entry kind: nope'],
    ['unknown field', { Kind: 'mesh', Colour: 'red' }, 'Request decoding failed: json: unknown field "Colour"'],
    ['exported name', { Kind: 'exported-services', Name: 'other', Services: [] }, 'exported-services Name must be "default"'],
    ['empty service name', { Kind: 'exported-services', Name: 'default', Services: [{ Name: '', Consumers: [{ Peer: 'a' }] }] }, 'Services[0]: service name cannot be empty'],
    ['wildcard namespace', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Namespace: '*', Consumers: [{ Peer: 'a' }] }] }, 'Services[0]: service name must be wildcard if namespace is wildcard'],
    ['no consumers', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [] }] }, 'Services[0]: must have at least one consumer'],
    ['two consumer targets', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'a', Partition: 'p' }] }] }, 'Services[0].Consumers[0]: must define at most one of Peer, Partition, or SamenessGroup'],
    ['wildcard partition', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Partition: '*' }] }] }, 'Services[0].Consumers[0]: exporting to all partitions (wildcard) is not supported'],
    ['wildcard peer', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: '*' }] }] }, 'Services[0].Consumers[0]: exporting to all peers (wildcard) is not supported'],
    ['partition consumer in CE', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Partition: 'p2' }] }] }, 'Services[0].Consumers[0]: partitions are an enterprise-only feature'],
    ['sameness group consumer in CE', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ SamenessGroup: 'sg' }] }] }, 'Services[0].Consumers[0]: sameness-groups are an enterprise-only feature'],
    ['peer and partition source', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', Peer: 'p', Partition: 'x', Action: 'allow' }] }, 'Sources[0].Peer: cannot set Peer and Partition at the same time.'],
    ['sameness group and partition', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', SamenessGroup: 's', Partition: 'x', Action: 'allow' }] }, 'Sources[0].SamenessGroup: cannot set SamenessGroup and Partition at the same time'],
    ['sameness group and peer', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', SamenessGroup: 's', Peer: 'p', Action: 'allow' }] }, 'Sources[0].SamenessGroup: cannot set SamenessGroup and Peer at the same time'],
    ['wildcard peer source', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', Peer: '*', Action: 'allow' }] }, "Sources[0].Peer: cannot use wildcard '*' in peer"],
    ['duplicate peer source', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', Peer: 'p', Action: 'allow' }, { Name: 'a', Peer: 'p', Action: 'deny' }] }, 'Sources[1] defines peer("p") "a" more than once'],
    ['bad action', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', Action: 'maybe' }] }, "Sources[0].Action must be set to 'allow' or 'deny'"],
    ['partial wildcard', { Kind: 'service-intentions', Name: 'we*', Sources: [{ Name: 'a', Action: 'allow' }] }, "Name: wildcard character '*' cannot be used with partial values"],
    ['redirect peer with subset', { Kind: 'service-resolver', Name: 'web', Redirect: { Service: 'web', Peer: 'p', ServiceSubset: 'v1' } }, 'Redirect.Peer cannot be set with Redirect.ServiceSubset'],
    ['redirect peer with datacenter', { Kind: 'service-resolver', Name: 'web', Redirect: { Service: 'web', Peer: 'p', Datacenter: 'dc2' } }, 'Redirect.Peer cannot be set with Redirect.Datacenter'],
    ['redirect peer without service', { Kind: 'service-resolver', Name: 'web', Redirect: { Peer: 'p' } }, 'Redirect.Peer defined without Redirect.Service'],
    ['failover target peer with subset', { Kind: 'service-resolver', Name: 'web', Failover: { '*': { Targets: [{ Peer: 'p', ServiceSubset: 'v1' }] } } }, 'Bad Failover["*"].Targets[0]: Peer cannot be set with ServiceSubset'],
    ['failover target peer with datacenter', { Kind: 'service-resolver', Name: 'web', Failover: { '*': { Targets: [{ Peer: 'p', Datacenter: 'dc2' }] } } }, 'Bad Failover["*"].Targets[0]: Peer cannot be set with Datacenter'],
    ['failover targets with datacenters', { Kind: 'service-resolver', Name: 'web', Failover: { '*': { Targets: [{ Peer: 'p' }], Datacenters: ['dc2'] } } }, 'Bad Failover["*"]: Targets cannot be set with Datacenters'],
    ['failover targets with subset', { Kind: 'service-resolver', Name: 'web', Failover: { '*': { Targets: [{ Peer: 'p' }], ServiceSubset: 'v1' } } }, 'Bad Failover["*"]: Targets cannot be set with ServiceSubset'],
    ['failover targets with service', { Kind: 'service-resolver', Name: 'web', Failover: { '*': { Targets: [{ Peer: 'p' }], Service: 'x' } } }, 'Bad Failover["*"]: Targets cannot be set with Service'],
    ['mesh gateway mode', { Kind: 'proxy-defaults', MeshGateway: { Mode: 'sideways' } }, 'Invalid Mesh Gateway Mode: "sideways"'],
    ['service-defaults mesh gateway mode', { Kind: 'service-defaults', Name: 'web', MeshGateway: { Mode: 'far' } }, 'Invalid Mesh Gateway Mode: "far"'],
    ['mesh name', { Kind: 'mesh', Name: 'other' }, 'invalid name ("other"), only "mesh" is supported'],
    ['proxy-defaults name', { Kind: 'proxy-defaults', Name: 'other' }, 'invalid name ("other"), only "global" is supported'],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name}: 400 "${message}"`, async () => {
      const r = await put(body);
      assert.equal(r.status, 400);
      assert.equal(r.body, message);
    });
  }

  it('accepts every mesh gateway mode of the spec', async () => {
    for (const mode of ['', 'none', 'local', 'remote']) {
      const r = await put({ Kind: 'service-defaults', Name: `m-${mode || 'default'}`, MeshGateway: { Mode: mode } });
      assert.equal(r.status, 200, `${mode}: ${r.body}`);
    }
  });

  it('accepts a resolver redirecting and failing over to a peer', async () => {
    const r = await put({ Kind: 'service-resolver', Name: 'web', Redirect: { Service: 'web', Peer: 'west' } });
    assert.equal(r.status, 200, r.body);
    const f = await put({ Kind: 'service-resolver', Name: 'api', Failover: { '*': { Targets: [{ Peer: 'west' }, { Peer: 'east', Service: 'api2' }] } } });
    assert.equal(f.status, 200, f.body);
  });
});
