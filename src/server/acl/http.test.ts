// In-process tests of the ACL API: bootstrap, policies, tokens, token sources, and the scenario.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
let t: TestAgent;
let mgmt = '';

before(async () => {
  t = await startTestAgent({ flags: { node: 'acl-node' }, file: { acl: { enabled: true, default_policy: 'deny' } } });
});
after(() => t.close());

const as = (token: string) => (method: string, url: string, body?: unknown) => t.request(method, url, body, { 'X-Consul-Token': token });

describe('bootstrap', () => {
  it('creates the management token once, then answers 403 with the reset index', async () => {
    const r = await t.request('PUT', '/v1/acl/bootstrap');
    assert.equal(r.status, 200, r.body);
    const tok = r.json<Obj>();
    assert.equal(tok.Description, 'Bootstrap Token (Global Management)');
    assert.deepEqual(tok.Policies, [{ ID: '00000000-0000-0000-0000-000000000001', Name: 'global-management' }]);
    assert.equal(tok.ID, tok.SecretID);
    mgmt = tok.SecretID as string;
    const again = await t.request('PUT', '/v1/acl/bootstrap');
    assert.equal(again.status, 403);
    assert.match(again.body, /^Permission denied: ACL bootstrap no longer allowed \(reset index: \d+\)$/);
  });
});

describe('the issue scenario: peering = "write" and service "web" write', () => {
  let secret = '';
  let accessor = '';
  it('creates a policy from HCL rules and a token linked by name', async () => {
    const p = await as(mgmt)('PUT', '/v1/acl/policy', { Name: 'peer-web', Rules: 'peering = "write"\nservice "web" {\n  policy = "write"\n}\n' });
    assert.equal(p.status, 200, p.body);
    const tok = await as(mgmt)('PUT', '/v1/acl/token', { Description: 'peer + web', Policies: [{ Name: 'peer-web' }] });
    assert.equal(tok.status, 200, tok.body);
    secret = tok.json<Obj>().SecretID as string;
    accessor = tok.json<Obj>().AccessorID as string;
  });

  it('allows exactly those operations', async () => {
    const me = as(secret);
    assert.equal((await me('PUT', '/v1/agent/service/register', { Name: 'web', Port: 80 })).status, 200);
    assert.equal((await me('GET', '/v1/agent/connect/ca/leaf/web')).status, 200, 'a leaf for web needs service:write on web');
    assert.equal((await me('GET', '/v1/catalog/service/web')).status, 200);
  });

  it('refuses everything else with the permission, resource and accessor named', async () => {
    const me = as(secret);
    const db = await me('PUT', '/v1/agent/service/register', { Name: 'db' });
    assert.equal(db.status, 403);
    assert.equal(db.body, `Permission denied: token with AccessorID '${accessor}' lacks permission 'service:write' on "db"`);
    const op = await me('GET', '/v1/connect/ca/configuration');
    assert.equal(op.body, `Permission denied: token with AccessorID '${accessor}' lacks permission 'operator:write'`);
    assert.equal((await me('GET', '/v1/acl/tokens')).status, 403);
    assert.equal((await me('PUT', '/v1/config', { Kind: 'mesh' })).status, 403, 'mesh:write does not follow from peering:write');
  });

  it('takes the token from X-Consul-Token, Authorization: Bearer or ?token=', async () => {
    assert.equal((await t.request('GET', '/v1/catalog/service/web', undefined, { Authorization: `Bearer ${secret}` })).status, 200);
    assert.equal((await t.request('GET', `/v1/catalog/service/web?token=${secret}`)).status, 200);
    const anon = await t.request('GET', '/v1/catalog/service/web');
    assert.equal(anon.status, 403);
    assert.match(anon.body, /^Permission denied: anonymous token lacks permission 'service:read' on "web"\. The anonymous token is used implicitly/);
  });

  it('answers 403 "ACL not found" for an unknown secret', async () => {
    const r = await t.request('GET', '/v1/catalog/services', undefined, { 'X-Consul-Token': '7b5c7b1a-0000-4000-8000-000000000000' });
    assert.equal(r.status, 403);
    assert.equal(r.body, 'ACL not found');
  });
});

describe('tokens and policies', () => {
  it('reads, lists, updates, clones and deletes tokens', async () => {
    const m = as(mgmt);
    const created = (await m('PUT', '/v1/acl/token', { Description: 'temp', ServiceIdentities: [{ ServiceName: 'api' }] })).json<Obj>();
    const id = created.AccessorID as string;
    const read = (await m('GET', `/v1/acl/token/${id}`)).json<Obj>();
    assert.equal(read.Description, 'temp');
    assert.deepEqual(read.ServiceIdentities, [{ ServiceName: 'api' }]);
    assert.ok((await m('GET', '/v1/acl/tokens')).json<Obj[]>().some((x) => x.AccessorID === id));
    const upd = await m('PUT', `/v1/acl/token/${id}`, { AccessorID: id, Description: 'renamed' });
    assert.equal(upd.json<Obj>().Description, 'renamed');
    const mismatch = await m('PUT', `/v1/acl/token/${id}`, { AccessorID: '00000000-0000-4000-8000-000000000009' });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body, 'Token Accessor ID in URL and payload do not match');
    const clone = (await m('PUT', `/v1/acl/token/${id}/clone`)).json<Obj>();
    assert.notEqual(clone.AccessorID, id);
    assert.equal((await m('DELETE', `/v1/acl/token/${id}`)).body, 'true');
    const gone = await m('GET', `/v1/acl/token/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body, 'Requested token does not exist: ACL not found');
    assert.equal((await m('DELETE', `/v1/acl/token/${id}`)).body, 'Cannot find token to delete');
  });

  it('grants a service identity write on its service and sidecar, read elsewhere', async () => {
    const tok = (await as(mgmt)('PUT', '/v1/acl/token', { ServiceIdentities: [{ ServiceName: 'api' }] })).json<Obj>();
    const me = as(tok.SecretID as string);
    assert.equal((await me('PUT', '/v1/agent/service/register', { Name: 'api' })).status, 200);
    assert.equal((await me('PUT', '/v1/agent/service/register', { Name: 'api-sidecar-proxy', Port: 21000, Kind: 'connect-proxy', Proxy: { DestinationServiceName: 'api' } })).status, 200);
    assert.equal((await me('PUT', '/v1/agent/service/register', { Name: 'other' })).status, 403);
    assert.equal((await me('GET', '/v1/catalog/services')).status, 200);
  });

  it('hides SecretID from acl:read-only tokens', async () => {
    await as(mgmt)('PUT', '/v1/acl/policy', { Name: 'acl-reader', Rules: 'acl = "read"' });
    const reader = (await as(mgmt)('PUT', '/v1/acl/token', { Policies: [{ Name: 'acl-reader' }] })).json<Obj>();
    const list = (await as(reader.SecretID as string)('GET', '/v1/acl/tokens')).json<Obj[]>();
    assert.ok(list.length > 0);
    assert.ok(list.every((x) => x.SecretID === '<hidden>'));
  });

  it('validates policies with Consul texts', async () => {
    const m = as(mgmt);
    assert.equal((await m('PUT', '/v1/acl/policy', { ID: 'x', Name: 'y' })).body, 'Cannot specify the ID when creating a new policy');
    assert.equal((await m('PUT', '/v1/acl/policy', { Name: 'peer-web' })).body, 'Invalid Policy: A Policy with Name "peer-web" already exists');
    assert.equal((await m('PUT', '/v1/acl/policy', { Name: 'bad name!' })).body, 'Invalid Policy: invalid Name "bad name!"');
    const bad = await m('PUT', '/v1/acl/policy', { Name: 'broken', Rules: 'service "x" { policy = ' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^Failed to parse ACL rules: /);
    assert.equal((await m('GET', '/v1/acl/policy/nope')).body, 'Requested policy does not exist: ACL not found');
    assert.equal((await m('DELETE', '/v1/acl/policy/00000000-0000-0000-0000-000000000001')).body, 'Deletion of the builtin global-management policy is not permitted');
    const byName = (await m('GET', '/v1/acl/policy/name/builtin/global-read-only')).status;
    assert.equal(byName, 404, 'a slash in a name cannot be addressed by path');
    const list = (await m('GET', '/v1/acl/policies')).json<Obj[]>();
    assert.ok(list.some((p) => p.Name === 'global-management'));
    assert.ok(list.every((p) => !('Rules' in p)), 'the list omits Rules');
  });

  it('returns the presented token from /v1/acl/token/self', async () => {
    const self = (await as(mgmt)('GET', '/v1/acl/token/self')).json<Obj>();
    assert.equal(self.SecretID, mgmt);
  });
});

describe('ACLs disabled', () => {
  it('answers 401 "ACL support disabled" on /v1/acl/*', async () => {
    const off = await startTestAgent({ flags: { node: 'no-acl' } });
    try {
      const r = await off.request('PUT', '/v1/acl/bootstrap');
      assert.equal(r.status, 401);
      assert.equal(r.body, 'ACL support disabled');
      assert.equal((await off.request('PUT', '/v1/agent/service/register', { Name: 'x' })).status, 200, 'everything else is open');
    } finally {
      await off.close();
    }
  });
});
