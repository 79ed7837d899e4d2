// In-process tests of the peering HTTP API: shapes, status codes and the spec's error texts (§1.4).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
let t: TestAgent;
before(async () => {
  t = await startTestAgent({ listen: true, flags: { node: 'p1', datacenter: 'dc9' } });
});
after(() => t.close());

describe('peering API', () => {
  it('generates a token and creates a PENDING acceptor record with the Consul shape', async () => {
    const r = await t.request('POST', '/v1/peering/token', { PeerName: 'west', Meta: { env: 'prod' }, ServerExternalAddresses: ['gw.example.com:443'] });
    assert.equal(r.status, 200, r.body);
    const token = JSON.parse(Buffer.from(r.json<{ PeeringToken: string }>().PeeringToken, 'base64').toString()) as Obj;
    assert.deepEqual(token.ManualServerAddresses, ['gw.example.com:443']);
    assert.deepEqual(token.Remote, { Partition: 'default', Datacenter: 'dc9', Locality: null });
    assert.match(String((token.CA as string[])[0]), /-----END CERTIFICATE-----\n$/);
    const p = (await t.request('GET', '/v1/peering/west')).json<Obj>();
    assert.equal(p.State, 'PENDING');
    assert.deepEqual(p.Meta, { env: 'prod' });
    assert.equal(p.ID, token.PeerID);
    assert.deepEqual(p.StreamStatus, { ImportedServices: null, ExportedServices: null, LastHeartbeat: null, LastReceive: null, LastSend: null });
    assert.deepEqual(p.Remote, { Partition: '', Datacenter: '' });
    for (const k of ['PeerID', 'PeerCAPems', 'PeerServerName', 'PeerServerAddresses', 'Partition', 'DeletedAt', 'ManualServerAddresses']) assert.ok(!(k in p), `${k} omitted`);
  });

  it('keeps the ID when regenerating and makes the old token unusable', async () => {
    const id = (await t.request('GET', '/v1/peering/west')).json<Obj>().ID;
    await t.request('POST', '/v1/peering/token', { PeerName: 'west' });
    assert.equal((await t.request('GET', '/v1/peering/west')).json<Obj>().ID, id);
  });

  it('lists peerings sorted, with blocking metadata', async () => {
    await t.request('POST', '/v1/peering/token', { PeerName: 'alpha' });
    const r = await t.request('GET', '/v1/peerings');
    assert.deepEqual(r.json<Obj[]>().map((p) => p.Name), ['alpha', 'west']);
    assert.ok(Number(r.headers['x-consul-index']) > 0);
  });

  const errors: [string, string, unknown, number, string][] = [
    ['token with no body', '/v1/peering/token', '', 400, 'The peering arguments must be provided in the body'],
    ['token with bad JSON', '/v1/peering/token', '{', 400, 'Body decoding failed: unexpected EOF'],
    ['token without PeerName', '/v1/peering/token', {}, 400, 'PeerName is required in the payload when generating a new peering token.'],
    ['token with a bad name', '/v1/peering/token', { PeerName: 'Bad_Name' }, 400, "Bad_Name is not a valid peer name: a valid peering name must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"],
    ['token with reserved meta', '/v1/peering/token', { PeerName: 'x', Meta: { 'consul-a': 'b' } }, 400, "meta tags failed validation: Couldn't load metadata pair ('consul-a', 'b'): Key prefix 'consul-' is reserved for internal use"],
    ['token with a bad external address', '/v1/peering/token', { PeerName: 'x', ServerExternalAddresses: ['nope'] }, 400, 'nope is not a valid peering server address'],
    ['establish without PeerName', '/v1/peering/establish', { PeeringToken: 'x' }, 400, 'PeerName is required in the payload when establishing a peering.'],
    ['establish without token', '/v1/peering/establish', { PeerName: 'x' }, 400, 'PeeringToken is required in the payload when establishing a peering.'],
  ];
  for (const [name, url, body, status, text] of errors) {
    it(`answers ${name} with ${status} "${text}"`, async () => {
      const r = await t.request('POST', url, body);
      assert.equal(r.status, status);
      assert.equal(r.body, text);
    });
  }

  it('refuses to establish over an acceptor name', async () => {
    const other = await startTestAgent({ listen: true, flags: { node: 'p2', datacenter: 'dc8' } });
    try {
      const token = (await other.request('POST', '/v1/peering/token', { PeerName: 'dc9' })).json<{ PeeringToken: string }>().PeeringToken;
      const r = await t.request('POST', '/v1/peering/establish', { PeerName: 'west', PeeringToken: token });
      assert.equal(r.status, 400);
      assert.equal(r.body, 'cannot create peering with name: "west"; there is an existing peering expecting to be dialed');
    } finally {
      await other.close();
    }
  });

  it('answers reads of unknown or empty names, deletes idempotently, refuses PUT with 405', async () => {
    const unknown = await t.request('GET', '/v1/peering/nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body, 'Peering not found for "nope"');
    const empty = await t.request('GET', '/v1/peering/');
    assert.equal(empty.status, 400);
    assert.equal(empty.body, 'Must specify a name to fetch.');
    const del = await t.request('DELETE', '/v1/peering/nope');
    assert.equal(del.status, 200);
    assert.equal(del.body, '');
    const put = await t.request('PUT', '/v1/peering/west', {});
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'OPTIONS,GET,DELETE');
  });

  it('marks a deleted peering DELETING with DeletedAt, then removes it', async () => {
    assert.equal((await t.request('DELETE', '/v1/peering/alpha')).status, 200);
    const r = await t.request('GET', '/v1/peering/alpha');
    if (r.status === 200) {
      assert.equal(r.json<Obj>().State, 'DELETING');
      assert.ok(r.json<Obj>().DeletedAt);
      const again = await t.request('POST', '/v1/peering/token', { PeerName: 'alpha' });
      assert.equal(again.body, 'cannot write to peering that is marked for deletion');
    }
    for (let i = 0; i < 50 && (await t.request('GET', '/v1/peering/alpha')).status !== 404; i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal((await t.request('GET', '/v1/peering/alpha')).status, 404);
  });

  it('lists resolved exported services', async () => {
    await t.request('PUT', '/v1/agent/service/register', { Name: 'web' });
    await t.request('PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: '*', Consumers: [{ Peer: 'west' }] }, { Name: 'api', Consumers: [{ Peer: 'east' }, { Peer: 'west' }] }] });
    assert.deepEqual((await t.request('GET', '/v1/exported-services')).json(), [
      { Service: 'api', Consumers: { Peers: ['east', 'west'] } },
      { Service: 'web', Consumers: { Peers: ['west'] } },
    ]);
    const ui = (await t.request('GET', '/v1/internal/ui/exported-services?peer=west')).json<Obj[]>();
    assert.deepEqual(ui.map((s) => s.Name), ['api', 'web']);
  });
});

describe('peering ACLs', () => {
  it('requires peering:write / peering:read, and applies the imported-data rule to ?peer= reads', async () => {
    const mgmt = '22222222-2222-4222-8222-222222222222';
    const a = await startTestAgent({ listen: true, flags: { node: 'acl-peer' }, file: { acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: mgmt } } } });
    const as = (tok: string) => (m: string, u: string, b?: unknown) => a.request(m, u, b, { 'X-Consul-Token': tok });
    const token = async (rules: string): Promise<string> => {
      const name = `p${Math.random().toString(16).slice(2, 8)}`;
      await as(mgmt)('PUT', '/v1/acl/policy', { Name: name, Rules: rules });
      return (await as(mgmt)('PUT', '/v1/acl/token', { Policies: [{ Name: name }] })).json<{ SecretID: string }>().SecretID;
    };
    try {
      const reader = await token('peering = "read"');
      assert.equal((await as(reader)('GET', '/v1/peerings')).status, 200);
      const denied = await as(reader)('POST', '/v1/peering/token', { PeerName: 'x' });
      assert.equal(denied.status, 403);
      assert.match(denied.body, /lacks permission 'peering:write'$/);
      const operator = await token('operator = "write"');
      assert.equal((await as(operator)('POST', '/v1/peering/token', { PeerName: 'x' })).status, 200, 'peering falls back to operator');
      const perName = await token('service "web" {\n  policy = "read"\n}\n');
      assert.equal((await as(perName)('GET', '/v1/health/service/web?peer=x')).status, 403, 'per-name read does not open imported data');
      const anyWrite = await token('service "mine" {\n  policy = "write"\n}\n');
      assert.equal((await as(anyWrite)('GET', '/v1/health/service/web?peer=x')).status, 200, 'service:write on any service does');
      const readAll = await token('service_prefix "" {\n  policy = "read"\n}\n');
      assert.equal((await as(readAll)('GET', '/v1/health/service/web?peer=x')).status, 200, 'service:read on all services does');
    } finally {
      await a.close();
    }
  });
});
