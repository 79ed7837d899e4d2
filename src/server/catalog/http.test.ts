// In-process HTTP tests of /v1/catalog/* and /v1/health/*: Consul's shapes, blocking, and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t.close());

const web = (node: string, id: string, extra: Obj = {}): Obj => ({
  Node: node,
  Address: `10.0.0.${node.slice(-1)}`,
  NodeMeta: { rack: node === 'n1' ? 'a' : 'b' },
  Service: { ID: id, Service: 'web', Tags: ['v1'], Port: 8080, ...extra },
  Check: { CheckID: `chk-${id}`, Name: 'web alive', Status: 'passing', ServiceID: id },
});

describe('catalog registration', () => {
  it('registers a node with a service and check, and answers true', async () => {
    const r = await t.request('PUT', '/v1/catalog/register', web('n1', 'web-1'));
    assert.equal(r.status, 200);
    assert.equal(r.body, 'true');
    const r2 = await t.request('PUT', '/v1/catalog/register', web('n2', 'web-2', { Tags: ['v2'] }));
    assert.equal(r2.status, 200);
  });

  it('SkipNodeUpdate creates a missing node from the request, and leaves an existing one as it is', async () => {
    const reg = (address: string, id: string): Obj => ({ Node: 'k1-virtual', Address: address, NodeMeta: { 'synthetic-node': 'true' }, SkipNodeUpdate: true, Service: { ID: id, Service: 'skip', Port: 1 } });
    assert.equal((await t.request('PUT', '/v1/catalog/register', reg('10.9.0.1', 'skip-1'))).status, 200);
    assert.equal((await t.request('PUT', '/v1/catalog/register', reg('10.9.0.2', 'skip-2'))).status, 200);
    const node = (await t.request('GET', '/v1/catalog/node/k1-virtual')).json<{ Node: Obj; Services: Obj }>();
    assert.equal(node.Node.Address, '10.9.0.1', 'the second registration did not update the node');
    assert.deepEqual(node.Node.Meta, { 'synthetic-node': 'true' });
    assert.deepEqual(Object.keys(node.Services).sort(), ['skip-1', 'skip-2']);
    const none = await t.request('PUT', '/v1/catalog/register', { Node: 'ghost', SkipNodeUpdate: true, Service: { Service: 'g' } });
    assert.equal(none.status, 400, 'a missing node without an address cannot be created');
    for (const id of ['skip-1', 'skip-2']) await t.request('PUT', '/v1/catalog/deregister', { Node: 'k1-virtual', ServiceID: id });
    await t.request('PUT', '/v1/catalog/deregister', { Node: 'k1-virtual' });
  });

  it('lists services with the union of their tags', async () => {
    const r = await t.request('GET', '/v1/catalog/services');
    assert.equal(r.status, 200);
    const body = r.json<Record<string, string[]>>();
    assert.deepEqual(body.web?.sort(), ['v1', 'v2']);
    assert.deepEqual(body.consul ?? [], [], 'no service named consul is invented');
  });

  it('returns flat ServiceNode entries for /v1/catalog/service/:name, filtered by tag', async () => {
    const all = (await t.request('GET', '/v1/catalog/service/web')).json<Obj[]>();
    assert.equal(all.length, 2);
    const first = all[0] as Obj;
    for (const key of ['ID', 'Node', 'Address', 'Datacenter', 'TaggedAddresses', 'NodeMeta', 'ServiceKind', 'ServiceID', 'ServiceName', 'ServiceTags', 'ServiceAddress', 'ServiceWeights', 'ServiceMeta', 'ServicePort', 'ServiceEnableTagOverride', 'ServiceProxy', 'ServiceConnect', 'CreateIndex', 'ModifyIndex']) {
      assert.ok(key in first, `ServiceNode has ${key}`);
    }
    assert.equal(first.Node, 'n1');
    assert.equal(first.Datacenter, 'dc1');
    assert.deepEqual(first.ServiceWeights, { Passing: 1, Warning: 1 });
    assert.ok(!('PeerName' in first), 'local data carries no PeerName');
    const v2 = (await t.request('GET', '/v1/catalog/service/web?tag=v2')).json<Obj[]>();
    assert.deepEqual(
      v2.map((s) => s.ServiceID),
      ['web-2'],
    );
    const none = (await t.request('GET', '/v1/catalog/service/web?tag=v1&tag=v2')).json<Obj[]>();
    assert.deepEqual(none, [], 'repeated tag= filters are ANDed');
    const meta = (await t.request('GET', '/v1/catalog/service/web?node-meta=rack:b')).json<Obj[]>();
    assert.deepEqual(
      meta.map((s) => s.Node),
      ['n2'],
    );
  });

  it('returns nodes, a node with its services, and null for an unknown node', async () => {
    const nodes = (await t.request('GET', '/v1/catalog/nodes')).json<Obj[]>();
    assert.deepEqual(
      nodes.map((n) => n.Node),
      ['n1', 'n2', 'node1'],
    );
    const n1 = (await t.request('GET', '/v1/catalog/node/n1')).json<{ Node: Obj; Services: Record<string, Obj> }>();
    assert.equal(n1.Node.Address, '10.0.0.1');
    assert.equal(n1.Services['web-1']?.Service, 'web');
    assert.equal(n1.Services['web-1']?.Port, 8080);
    const missing = await t.request('GET', '/v1/catalog/node/nope');
    assert.equal(missing.status, 200);
    assert.equal(missing.body, 'null');
  });

  it('lists the datacenter', async () => {
    assert.deepEqual((await t.request('GET', '/v1/catalog/datacenters')).json(), ['dc1']);
  });

  it('deregisters one check, one service, or a whole node', async () => {
    await t.request('PUT', '/v1/catalog/register', web('n3', 'web-3'));
    assert.equal((await t.request('PUT', '/v1/catalog/deregister', { Node: 'n3', CheckID: 'chk-web-3' })).body, 'true');
    assert.deepEqual((await t.request('GET', '/v1/health/node/n3')).json(), []);
    await t.request('PUT', '/v1/catalog/deregister', { Node: 'n3', ServiceID: 'web-3' });
    assert.equal((await t.request('GET', '/v1/catalog/service/web')).json<Obj[]>().length, 2);
    await t.request('PUT', '/v1/catalog/deregister', { Node: 'n3' });
    assert.equal((await t.request('GET', '/v1/catalog/node/n3')).body, 'null');
  });
});

describe('health', () => {
  it('joins each instance with its node and checks', async () => {
    const entries = (await t.request('GET', '/v1/health/service/web')).json<{ Node: Obj; Service: Obj; Checks: Obj[] }[]>();
    assert.equal(entries.length, 2);
    const e = entries[0] as { Node: Obj; Service: Obj; Checks: Obj[] };
    assert.equal(e.Node.Node, 'n1');
    assert.equal(e.Service.ID, 'web-1');
    assert.deepEqual(
      e.Checks.map((c) => [c.CheckID, c.Status, c.ServiceName]),
      [['chk-web-1', 'passing', 'web']],
    );
  });

  it('filters with ?passing and rejects a bad ?passing value', async () => {
    await t.request('PUT', '/v1/catalog/register', {
      Node: 'n2',
      Address: '10.0.0.2',
      Check: { CheckID: 'chk-web-2', Name: 'web alive', Status: 'critical', ServiceID: 'web-2' },
    });
    const passing = (await t.request('GET', '/v1/health/service/web?passing')).json<{ Service: Obj }[]>();
    assert.deepEqual(
      passing.map((e) => e.Service.ID),
      ['web-1'],
    );
    assert.equal((await t.request('GET', '/v1/health/service/web?passing=false')).json<Obj[]>().length, 2);
    const bad = await t.request('GET', '/v1/health/service/web?passing=maybe');
    assert.equal(bad.status, 400);
    assert.equal(bad.body, 'Invalid value for ?passing');
  });

  it('treats a failing node-level check as failing every instance on the node', async () => {
    await t.request('PUT', '/v1/catalog/register', { Node: 'n1', Address: '10.0.0.1', NodeMeta: { rack: 'a' }, Check: { CheckID: 'node-ok', Name: 'node', Status: 'warning' } });
    const passing = (await t.request('GET', '/v1/health/service/web?passing')).json<Obj[]>();
    assert.deepEqual(passing, []);
    await t.request('PUT', '/v1/catalog/deregister', { Node: 'n1', CheckID: 'node-ok' });
  });

  it('lists checks by service, by node and by state', async () => {
    const byService = (await t.request('GET', '/v1/health/checks/web')).json<Obj[]>();
    assert.deepEqual(byService.map((c) => c.CheckID).sort(), ['chk-web-1', 'chk-web-2']);
    const byNode = (await t.request('GET', '/v1/health/node/node1')).json<Obj[]>();
    assert.deepEqual(
      byNode.map((c) => c.CheckID),
      ['serfHealth'],
    );
    const critical = (await t.request('GET', '/v1/health/state/critical')).json<Obj[]>();
    assert.deepEqual(
      critical.map((c) => c.CheckID),
      ['chk-web-2'],
    );
    const any = (await t.request('GET', '/v1/health/state/any')).json<Obj[]>();
    assert.ok(any.length >= 3);
    assert.deepEqual((await t.request('GET', '/v1/health/state/bogus')).json(), []);
  });

  it('answers ?peer= reads from the (empty) imported keyspace without mixing in local data', async () => {
    assert.deepEqual((await t.request('GET', '/v1/health/service/web?peer=west')).json(), []);
    assert.deepEqual((await t.request('GET', '/v1/catalog/services?peer=west')).json(), {});
    assert.deepEqual((await t.request('GET', '/v1/catalog/nodes?peer=west')).json(), []);
    assert.equal((await t.request('GET', '/v1/catalog/node/n1?peer=west')).body, 'null');
  });
});

describe('blocking queries', () => {
  it('sets X-Consul-Index, KnownLeader and LastContact, never 0', async () => {
    const r = await t.request('GET', '/v1/health/service/nothing-here');
    assert.ok(Number(r.headers['x-consul-index']) >= 1);
    assert.equal(r.headers['x-consul-knownleader'], 'true');
    assert.equal(r.headers['x-consul-lastcontact'], '0');
  });

  it('blocks until the watched service changes, then returns the new index', async () => {
    const first = await t.request('GET', '/v1/health/service/web');
    const index = Number(first.headers['x-consul-index']);
    const started = Date.now();
    const blocked = t.request('GET', `/v1/health/service/web?index=${index}&wait=5s`);
    await new Promise((r) => setTimeout(r, 100));
    await t.request('PUT', '/v1/catalog/register', web('n4', 'web-4'));
    const r = await blocked;
    assert.ok(Date.now() - started < 4000, 'woke before the wait expired');
    assert.ok(Number(r.headers['x-consul-index']) > index);
    assert.equal(r.json<Obj[]>().length, 3);
  });

  it('is not woken by changes to other services', async () => {
    const idx = Number((await t.request('GET', '/v1/health/service/web')).headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/health/service/web?index=${idx}&wait=300ms`);
    await t.request('PUT', '/v1/catalog/register', { Node: 'n9', Address: '10.0.0.9', Service: { Service: 'db' } });
    const r = await blocked;
    assert.equal(Number(r.headers['x-consul-index']), idx, 'timed out with the same index');
  });

  it('rejects malformed index, wait and conflicting consistency modes', async () => {
    assert.equal((await t.request('GET', '/v1/catalog/nodes?index=abc')).body, 'Invalid index');
    assert.equal((await t.request('GET', '/v1/catalog/nodes?index=1&wait=forever')).body, 'Invalid wait time');
    const both = await t.request('GET', '/v1/catalog/nodes?stale&consistent');
    assert.equal(both.status, 400);
    assert.equal(both.body, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
    assert.equal((await t.request('GET', '/v1/catalog/nodes?stale')).status, 200);
  });
});

describe('bad input', () => {
  const cases: [string, unknown, string][] = [
    ['empty body', '', 'Request decode failed: EOF'],
    ['malformed JSON', '{"Node":', 'Request decode failed: unexpected EOF'],
    ['unknown field', { Node: 'x', Address: '1.1.1.1', Bogus: 1 }, 'Request decode failed: json: unknown field "Bogus"'],
    ['wrong type', { Node: 5 }, 'Request decode failed: json: cannot unmarshal number into Go struct field RegisterRequest.Node of type string'],
    ['missing node', { Address: '1.1.1.1' }, 'Must provide node'],
    ['missing address', { Node: 'x' }, 'Must provide address if SkipNodeUpdate is not set'],
    ['bad node ID', { Node: 'x', Address: '1.1.1.1', ID: 'nope' }, 'Bad node ID: invalid UUID "nope"'],
    ['service ID without name', { Node: 'x', Address: '1.1.1.1', Service: { ID: 's1' } }, 'Must provide service name (Service.Service) when service ID is provided'],
    ['unspecified service address', { Node: 'x', Address: '1.1.1.1', Service: { Service: 's', Address: '0.0.0.0' } }, 'Invalid service address'],
    ['check for unknown service', { Node: 'x', Address: '1.1.1.1', Check: { Name: 'c', ServiceID: 'ghost' } }, "Unknown service ID 'ghost' for check ID 'c'"],
    ['check on another node', { Node: 'x', Address: '1.1.1.1', Check: { Node: 'y', Name: 'c' } }, "Node 'y' for check 'c' doesn't match register request node 'x'"],
    ['bad check status', { Node: 'x', Address: '1.1.1.1', Check: { Name: 'c', Status: 'great' } }, "Invalid check status: 'great'"],
    ['PeerName', { Node: 'x', Address: '1.1.1.1', PeerName: 'west' }, 'cannot register requests with PeerName in them'],
    ['Namespace', { Node: 'x', Address: '1.1.1.1', Namespace: 'ns1' }, 'Request decode failed: json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature'],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses a registration with ${name}: 400 "${message}" and writes nothing`, async () => {
      const before = (await t.request('GET', '/v1/catalog/nodes')).body;
      const r = await t.request('PUT', '/v1/catalog/register', body);
      assert.equal(r.status, 400);
      assert.equal(r.body, message);
      assert.equal((await t.request('GET', '/v1/catalog/nodes')).body, before, 'nothing half-written');
    });
  }

  it('refuses a deregistration without a node', async () => {
    const r = await t.request('PUT', '/v1/catalog/deregister', { ServiceID: 'x' });
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Must provide node');
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const r = await t.request('POST', '/v1/catalog/register', {});
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'OPTIONS,PUT');
    assert.equal(r.body, 'method POST not allowed');
    const o = await t.request('OPTIONS', '/v1/catalog/services');
    assert.equal(o.status, 200);
    assert.equal(o.headers.allow, 'OPTIONS,GET');
  });

  it('answers unknown paths with Consul texts', async () => {
    const a = await t.request('GET', '/v1/nope');
    assert.equal(a.status, 404);
    assert.equal(a.body, 'Invalid URL path: not a recognized HTTP API endpoint\n');
    const b = await t.request('GET', '/nope');
    assert.equal(b.body, "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n");
  });

  it('refuses Enterprise namespaces and unreachable datacenters', async () => {
    const ns = await t.request('GET', '/v1/catalog/services?ns=team');
    assert.equal(ns.status, 400);
    assert.equal(ns.body, 'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature');
    const dc = await t.request('GET', '/v1/catalog/services?dc=elsewhere');
    assert.equal(dc.status, 500);
    assert.equal(dc.body, 'No path to datacenter');
  });

  it('pretty-prints with ?pretty', async () => {
    const r = await t.request('GET', '/v1/catalog/datacenters?pretty');
    assert.equal(r.body, '[\n    "dc1"\n]\n');
  });
});

describe('?filter', () => {
  it('filters catalog and health lists with bexpr expressions', async () => {
    const byTag = (await t.request('GET', '/v1/catalog/service/web?filter=' + encodeURIComponent('"v2" in ServiceTags'))).json<Obj[]>();
    assert.deepEqual(byTag.map((s) => s.ServiceID), ['web-2']);
    const byNode = (await t.request('GET', '/v1/health/service/web?filter=' + encodeURIComponent('Node.Node == n1'))).json<{ Service: Obj }[]>();
    assert.deepEqual(byNode.map((e) => e.Service.ID), ['web-1']);
    const nodes = (await t.request('GET', '/v1/catalog/nodes?filter=' + encodeURIComponent('Meta.rack == b'))).json<Obj[]>();
    assert.ok(nodes.every((n) => (n.Meta as Obj).rack === 'b') && nodes.length > 0);
  });

  it('refuses a malformed filter with 400', async () => {
    const r = await t.request('GET', '/v1/catalog/nodes?filter=' + encodeURIComponent('Node =='));
    assert.equal(r.status, 400);
    assert.match(r.body, /^Failed to create boolean expression evaluator/);
  });
});
