// In-process tests of ACL roles, auth methods, binding rules and the login/logout texts that need no
// Kubernetes API server (the TokenReview path runs end to end in test/k8s/acl-login.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { createRootCert, generateKey } from '../ca/certs.js';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
const memory = new MemoryStore();
/** The memory store, surviving agent.stop() (which closes its store) so a second agent can load it. */
const store = new Proxy(memory, {
  get(target, prop) {
    if (prop === 'close') return async () => undefined;
    const v = Reflect.get(target, prop, target) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  },
});
let t: TestAgent;
let mgmt = '';
let ca = '';
const JWT = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"reviewer"}').toString('base64url')}.c2ln`;

before(async () => {
  ca = (await createRootCert({ commonName: 'kube-ca', trustDomain: 'kube.local', key: await generateKey(), ttlMs: 3_600_000 })).toString('pem');
  t = await startTestAgent({ store, flags: { node: 'acl-auth', datacenter: 'east' }, file: { acl: { enabled: true, default_policy: 'deny' } } });
  mgmt = (await t.request('PUT', '/v1/acl/bootstrap')).json<Obj>().SecretID as string;
});
after(async () => {
  await t.close();
  await memory.close();
});

const as = (token: string) => (method: string, url: string, body?: unknown) => t.request(method, url, body, { 'X-Consul-Token': token });
const m = (method: string, url: string, body?: unknown) => as(mgmt)(method, url, body);
const allowed = async (token: string, checks: { Resource: string; Segment?: string; Access: string }[]): Promise<boolean[]> =>
  (await as(token)('POST', '/v1/internal/acl/authorize', checks)).json<{ Allow: boolean }[]>().map((x) => x.Allow);

describe('roles', () => {
  let roleId = '';
  let policyId = '';
  it('creates a role with a policy, a service identity and a node identity', async () => {
    policyId = (await m('PUT', '/v1/acl/policy', { Name: 'kv-read', Rules: 'key_prefix "" { policy = "read" }' })).json<Obj>().ID as string;
    const r = await m('PUT', '/v1/acl/role', { Name: 'web-role', Description: 'web', Policies: [{ Name: 'kv-read' }], ServiceIdentities: [{ ServiceName: 'web' }], NodeIdentities: [{ NodeName: 'n1', Datacenter: 'east' }] });
    assert.equal(r.status, 200, r.body);
    const role = r.json<Obj>();
    roleId = role.ID as string;
    assert.deepEqual(role.Policies, [{ ID: policyId, Name: 'kv-read' }]);
    assert.deepEqual(role.ServiceIdentities, [{ ServiceName: 'web' }]);
    assert.deepEqual(role.NodeIdentities, [{ NodeName: 'n1', Datacenter: 'east' }]);
    assert.equal(typeof role.Hash, 'string');
    assert.equal((await m('GET', `/v1/acl/role/${roleId}`)).json<Obj>().Name, 'web-role');
    assert.equal((await m('GET', '/v1/acl/role/name/web-role')).json<Obj>().ID, roleId);
    assert.deepEqual((await m('GET', '/v1/acl/roles')).json<Obj[]>().map((x) => x.Name), ['web-role']);
  });

  it('refuses bad roles with precise texts', async () => {
    const dup = await m('PUT', '/v1/acl/role', { Name: 'web-role', ServiceIdentities: [{ ServiceName: 'x' }] });
    assert.equal(dup.status, 400);
    assert.equal(dup.body, 'Invalid Role: A Role with Name "web-role" already exists');
    assert.equal((await m('PUT', '/v1/acl/role', { ID: roleId, Name: 'x' })).body, 'Cannot specify the ID when creating a new role');
    assert.equal((await m('PUT', '/v1/acl/role', { Name: 'r2', Policies: [{ Name: 'nope' }] })).body, 'Cannot find policy "nope"');
    assert.match((await m('PUT', '/v1/acl/role', { Name: 'r2', ServiceIdentities: [{ ServiceName: 'Bad Name' }] })).body, /Service identity "Bad Name" has an invalid name/);
    assert.equal((await m('PUT', `/v1/acl/role/${roleId}`, { ID: '00000000-0000-4000-8000-000000000000', Name: 'x' })).body, 'Role ID in URL and payload do not match');
    const missing = await m('GET', '/v1/acl/role/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal((await m('PUT', '/v1/acl/role', { Name: 'r3', Bogus: 1 })).body, 'Role decoding failed: json: unknown field "Bogus"');
  });

  it('a token linked to the role gets its policies and identities, and nothing else', async () => {
    const tok = await m('PUT', '/v1/acl/token', { Description: 'via role', Roles: [{ Name: 'web-role' }] });
    assert.equal(tok.status, 200, tok.body);
    const body = tok.json<Obj>();
    assert.deepEqual(body.Roles, [{ ID: roleId, Name: 'web-role' }]);
    const secret = body.SecretID as string;
    assert.deepEqual(
      await allowed(secret, [
        { Resource: 'service', Segment: 'web', Access: 'write' },
        { Resource: 'service', Segment: 'web-sidecar-proxy', Access: 'write' },
        { Resource: 'service', Segment: 'db', Access: 'read' },
        { Resource: 'service', Segment: 'db', Access: 'write' },
        { Resource: 'node', Segment: 'n1', Access: 'write' },
        { Resource: 'node', Segment: 'n2', Access: 'write' },
        { Resource: 'key', Segment: 'a/b', Access: 'read' },
        { Resource: 'key', Segment: 'a/b', Access: 'write' },
        { Resource: 'acl', Access: 'read' },
      ]),
      [true, true, true, false, true, false, true, false, false],
    );
    assert.deepEqual((await m('GET', `/v1/acl/tokens?role=${roleId}`)).json<Obj[]>().map((x) => x.Description), ['via role']);
    const expanded = (await m('GET', `/v1/acl/token/${body.AccessorID as string}?expanded`)).json<Obj>();
    assert.deepEqual((expanded.ExpandedRoles as Obj[]).map((r) => r.Name), ['web-role']);
    assert.deepEqual((expanded.ExpandedPolicies as Obj[]).map((p) => [p.Name, p.Rules]), [['kv-read', 'key_prefix "" { policy = "read" }']]);
    assert.equal(expanded.AgentACLDefaultPolicy, 'deny');
    // Renaming the role shows the new name on the token; deleting it unlinks it and takes its grants away.
    assert.equal((await m('PUT', `/v1/acl/role/${roleId}`, { Name: 'web-role2', ServiceIdentities: [{ ServiceName: 'web' }] })).status, 200);
    assert.deepEqual((await m('GET', `/v1/acl/token/${body.AccessorID as string}`)).json<Obj>().Roles, [{ ID: roleId, Name: 'web-role2' }]);
    assert.deepEqual(await allowed(secret, [{ Resource: 'key', Segment: 'a/b', Access: 'read' }]), [false], 'policy dropped by the update');
    assert.equal((await m('DELETE', `/v1/acl/role/${roleId}`)).body, 'true');
    assert.equal((await m('GET', `/v1/acl/token/${body.AccessorID as string}`)).json<Obj>().Roles, undefined);
    assert.deepEqual(await allowed(secret, [{ Resource: 'service', Segment: 'web', Access: 'write' }]), [false]);
    assert.equal((await m('DELETE', `/v1/acl/role/${roleId}`)).status, 404);
  });

  it('needs acl:write to create and acl:read to list', async () => {
    const anon = await t.request('PUT', '/v1/acl/role', { Name: 'x', ServiceIdentities: [{ ServiceName: 'x' }] });
    assert.equal(anon.status, 403);
    assert.equal((await t.request('GET', '/v1/acl/roles')).status, 403);
  });
});

describe('templated policies', () => {
  it('a token with builtin/service gets that service identity; a role can carry one too; unknown templates are refused', async () => {
    const tok = await m('PUT', '/v1/acl/token', { TemplatedPolicies: [{ TemplateName: 'builtin/service', TemplateVariables: { Name: 'api' } }] });
    assert.equal(tok.status, 200, tok.body);
    assert.deepEqual(tok.json<Obj>().TemplatedPolicies, [{ TemplateName: 'builtin/service', TemplateVariables: { Name: 'api' } }]);
    assert.deepEqual(
      await allowed(tok.json<Obj>().SecretID as string, [
        { Resource: 'service', Segment: 'api', Access: 'write' },
        { Resource: 'service', Segment: 'web', Access: 'write' },
      ]),
      [true, false],
    );
    const role = await m('PUT', '/v1/acl/role', { Name: 'dns-role', TemplatedPolicies: [{ TemplateName: 'builtin/dns' }] });
    assert.equal(role.status, 200, role.body);
    const viaRole = (await m('PUT', '/v1/acl/token', { Roles: [{ Name: 'dns-role' }] })).json<Obj>().SecretID as string;
    assert.deepEqual(await allowed(viaRole, [{ Resource: 'node', Segment: 'n', Access: 'read' }, { Resource: 'node', Segment: 'n', Access: 'write' }]), [true, false]);
    assert.equal((await m('PUT', '/v1/acl/token', { TemplatedPolicies: [{ TemplateName: 'builtin/nope' }] })).body, 'templated policy "builtin/nope" does not exist');
    assert.equal((await m('PUT', '/v1/acl/token', { TemplatedPolicies: [{ TemplateName: 'builtin/service' }] })).body, 'Failed to validate variables for templated policy "builtin/service": name is required');
    assert.equal((await m('DELETE', `/v1/acl/role/${role.json<Obj>().ID as string}`)).status, 200);
  });
});

describe('expiring tokens', () => {
  it('sets ExpirationTime from ExpirationTTL and refuses an expired token with "ACL not found"', async () => {
    const tok = (await m('PUT', '/v1/acl/token', { ServiceIdentities: [{ ServiceName: 'web' }], ExpirationTTL: '10m' })).json<Obj>();
    const exp = Date.parse(tok.ExpirationTime as string);
    assert.ok(exp > Date.now() + 9 * 60_000 && exp < Date.now() + 11 * 60_000);
    assert.equal((await m('PUT', '/v1/acl/token', { ExpirationTTL: '10s' })).body, "Token Expiration TTL '10s' should be > 1m0s");
  });
});

describe('auth methods and binding rules', () => {
  const method = () => ({ Name: 'k8s', Type: 'kubernetes', DisplayName: 'Kubernetes Auth Method', Description: 'kube', MaxTokenTTL: '10m', Config: { Host: 'https://127.0.0.1:1', CACert: ca, ServiceAccountJWT: JWT } });
  let ruleId = '';
  it('creates, reads and lists a kubernetes method (the list has no Config)', async () => {
    const r = await m('PUT', '/v1/acl/auth-method', method());
    assert.equal(r.status, 200, r.body);
    const body = r.json<Obj>();
    assert.equal(body.MaxTokenTTL, '10m0s');
    assert.deepEqual(body.Config, method().Config);
    const list = (await m('GET', '/v1/acl/auth-methods')).json<Obj[]>();
    assert.equal(list.length, 1);
    assert.equal(list[0]?.Config, undefined);
    assert.equal(list[0]?.DisplayName, 'Kubernetes Auth Method');
    assert.equal((await m('GET', '/v1/acl/auth-method/nope')).status, 404);
    assert.equal((await m('PUT', '/v1/acl/auth-method/k8s', { ...method(), Name: 'other' })).body, 'AuthMethod Name in URL and payload do not match');
    assert.equal((await m('PUT', '/v1/acl/auth-method', { ...method(), Config: { ...method().Config, Host: '' } })).body, 'Invalid Auth Method: Config.Host is required');
  });

  it('creates binding rules and refuses bad ones with Consul texts', async () => {
    const r = await m('PUT', '/v1/acl/binding-rule', { AuthMethod: 'k8s', Description: 'Kubernetes binding rule', BindType: 'service', BindName: '${serviceaccount.name}', Selector: 'serviceaccount.name!=default' });
    assert.equal(r.status, 200, r.body);
    ruleId = r.json<Obj>().ID as string;
    assert.match(ruleId, /^[0-9a-f-]{36}$/);
    assert.equal((await m('GET', `/v1/acl/binding-rule/${ruleId}`)).json<Obj>().Selector, 'serviceaccount.name!=default');
    assert.deepEqual((await m('GET', '/v1/acl/binding-rules?authmethod=k8s')).json<Obj[]>().map((x) => x.ID), [ruleId]);
    assert.deepEqual((await m('GET', '/v1/acl/binding-rules?authmethod=other')).json<Obj[]>(), []);
    const bad = async (body: Obj): Promise<string> => (await m('PUT', '/v1/acl/binding-rule', body)).body;
    assert.equal(await bad({ BindType: 'service', BindName: 'x' }), 'Invalid Binding Rule: no AuthMethod is set');
    assert.equal(await bad({ AuthMethod: 'nope', BindType: 'service', BindName: 'x' }), 'cannot find auth method with name "nope"');
    assert.match(await bad({ AuthMethod: 'k8s', BindType: 'service', BindName: 'x', Selector: 'pod.name==x' }), /^invalid Binding Rule: Selector is invalid: /);
    assert.equal(await bad({ AuthMethod: 'k8s', BindName: 'x' }), 'Invalid Binding Rule: no BindType is set');
    assert.equal(await bad({ AuthMethod: 'k8s', BindType: 'service' }), 'Invalid Binding Rule: no BindName is set');
    assert.equal(await bad({ AuthMethod: 'k8s', BindType: 'bogus', BindName: 'x' }), 'Invalid Binding Rule: unknown BindType "bogus"');
    assert.equal(await bad({ AuthMethod: 'k8s', BindType: 'templated-policy', BindName: 'nope' }), 'Bind name for templated-policy bind type does not match existing template name: nope');
    const upd = await m('PUT', `/v1/acl/binding-rule/${ruleId}`, { AuthMethod: 'other', BindType: 'service', BindName: 'x' });
    assert.equal(upd.body, 'the AuthMethod field of an Binding Rule is immutable');
  });

  it('login texts that need no API server: missing parameters, unknown method, unparsable JWT', async () => {
    const missing = await t.request('POST', '/v1/acl/login', {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body, 'Invalid Login request: Missing auth parameters');
    const unknown = await t.request('POST', '/v1/acl/login', { AuthMethod: 'nope', BearerToken: JWT });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body, 'ACL not found: auth method "nope" not found');
    const bad = await t.request('POST', '/v1/acl/login', { AuthMethod: 'k8s', BearerToken: 'not-a-jwt' });
    assert.equal(bad.status, 500);
    assert.equal(bad.body, 'failed to parse and validate JWT: compact JWS format must have three parts');
    const down = await t.request('POST', '/v1/acl/login', { AuthMethod: 'k8s', BearerToken: JWT });
    assert.equal(down.status, 500);
    assert.match(down.body, /^Post "https:\/\/127\.0\.0\.1:1\/apis\/authentication\.k8s\.io\/v1\/tokenreviews": connect: connection refused$/);
    assert.ok(!down.body.includes(JWT));
    const elsewhere = await t.request('POST', '/v1/acl/login?dc=nowhere', { AuthMethod: 'k8s', BearerToken: JWT });
    assert.equal(elsewhere.status, 500);
    assert.equal(elsewhere.body, 'No path to datacenter');
    const out = await t.request('POST', '/v1/acl/logout?dc=nowhere');
    assert.equal(out.body, 'No path to datacenter');
  });

  it('logout: 401 without a token, 403 for a token login did not create', async () => {
    const none = await t.request('POST', '/v1/acl/logout');
    assert.equal(none.status, 401);
    assert.equal(none.body, 'Supplied token does not exist');
    const notLogin = await m('POST', '/v1/acl/logout');
    assert.equal(notLogin.status, 403);
    assert.equal(notLogin.body, 'Permission denied');
    const unknown = await as('9b2d4a3c-0000-4000-8000-000000000000')('POST', '/v1/acl/logout');
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body, 'ACL not found');
  });

  it('survives a restart on the same store (roles, methods and rules are durable)', async () => {
    assert.equal((await m('PUT', '/v1/acl/role', { Name: 'durable', ServiceIdentities: [{ ServiceName: 'db' }] })).status, 200);
    await t.close();
    t = await startTestAgent({ store, flags: { node: 'acl-auth', datacenter: 'east' }, file: { acl: { enabled: true, default_policy: 'deny' } } });
    assert.equal((await m('GET', '/v1/acl/role/name/durable')).status, 200);
    assert.equal((await m('GET', '/v1/acl/auth-method/k8s')).json<Obj>().Name, 'k8s');
    assert.equal((await m('GET', `/v1/acl/binding-rule/${ruleId}`)).json<Obj>().AuthMethod, 'k8s');
  });

  it('deleting the method removes its binding rules', async () => {
    assert.equal((await m('DELETE', '/v1/acl/auth-method/k8s')).body, 'true');
    assert.equal((await m('GET', `/v1/acl/binding-rule/${ruleId}`)).status, 404);
    assert.equal((await m('DELETE', '/v1/acl/auth-method/k8s')).status, 404);
  });
});
