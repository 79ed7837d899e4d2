// Walks THE route table: every endpoint refuses a token without its declared permission (403, or a
// filtered list) and serves a token that has exactly that permission.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AclAccess, AclResourceName } from '../acl/authorizer.js';
import { startTestAgent, type TestAgent } from '../test-agent.js';
import type { Route } from './routes.js';

const MGMT = randomUUID();
let t: TestAgent;
let victimToken = '';
let victimPolicy = '';

const asMgmt = (method: string, url: string, body?: unknown) => t.request(method, url, body, { 'X-Consul-Token': MGMT });

before(async () => {
  t = await startTestAgent({ flags: { node: 'walker' }, file: { acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } } });
});
after(() => t.close());

/** Puts the state every sample request expects back in place (some samples delete things). */
async function prepare(): Promise<void> {
  await asMgmt('PUT', '/v1/agent/service/register', { Name: 'walk-svc', Check: { CheckID: 'walk-ttl', TTL: '10m' } });
  await asMgmt('PUT', '/v1/catalog/register', { Node: 'walk', Address: '10.0.0.1' });
  await asMgmt('PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'west' }] }] });
  await asMgmt('PUT', '/v1/config', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'a', Action: 'allow' }] });
  victimToken = (await asMgmt('PUT', '/v1/acl/token', { Description: 'victim' })).json<{ AccessorID: string }>().AccessorID;
  victimPolicy = (await asMgmt('PUT', '/v1/acl/policy', { Name: `victim-${randomUUID().slice(0, 8)}` })).json<{ ID: string }>().ID;
}

/** A sample request for each route: what a client would send. */
function sample(r: Route): { url: string; body?: unknown } {
  const key = `${r.method} ${r.path}`;
  const samples: Record<string, { url: string; body?: unknown }> = {
    'PUT /v1/catalog/register': { url: '/v1/catalog/register', body: { Node: 'walk', Address: '10.0.0.2' } },
    'PUT /v1/catalog/deregister': { url: '/v1/catalog/deregister', body: { Node: 'walk' } },
    'GET /v1/catalog/service/:name': { url: '/v1/catalog/service/walk-svc' },
    'GET /v1/catalog/node/:node': { url: '/v1/catalog/node/walk' },
    'GET /v1/catalog/node-services/:node': { url: '/v1/catalog/node-services/walk' },
    'GET /v1/health/service/:name': { url: '/v1/health/service/walk-svc' },
    'GET /v1/health/checks/:name': { url: '/v1/health/checks/walk-svc' },
    'GET /v1/health/node/:node': { url: '/v1/health/node/walk' },
    'GET /v1/health/state/:state': { url: '/v1/health/state/any' },
    'PUT /v1/agent/service/register': { url: '/v1/agent/service/register', body: { Name: 'walk-svc', Check: { CheckID: 'walk-ttl', TTL: '10m' } } },
    'PUT /v1/agent/service/deregister/:id': { url: '/v1/agent/service/deregister/walk-svc' },
    'GET /v1/agent/service/:id': { url: '/v1/agent/service/walk-svc' },
    'PUT /v1/agent/check/register': { url: '/v1/agent/check/register', body: { Name: 'node-chk', TTL: '1m' } },
    'PUT /v1/agent/check/deregister/:id': { url: '/v1/agent/check/deregister/walk-ttl' },
    'PUT /v1/agent/check/pass/:id': { url: '/v1/agent/check/pass/walk-ttl' },
    'PUT /v1/agent/check/warn/:id': { url: '/v1/agent/check/warn/walk-ttl' },
    'PUT /v1/agent/check/fail/:id': { url: '/v1/agent/check/fail/walk-ttl' },
    'GET /v1/agent/service/deregister/:id': { url: '/v1/agent/service/deregister/walk-svc' },
    'GET /v1/agent/check/deregister/:id': { url: '/v1/agent/check/deregister/walk-ttl' },
    'GET /v1/agent/check/pass/:id': { url: '/v1/agent/check/pass/walk-ttl' },
    'GET /v1/agent/check/warn/:id': { url: '/v1/agent/check/warn/walk-ttl' },
    'GET /v1/agent/check/fail/:id': { url: '/v1/agent/check/fail/walk-ttl' },
    'PUT /v1/agent/check/update/:id': { url: '/v1/agent/check/update/walk-ttl', body: { Status: 'passing' } },
    'GET /v1/agent/health/service/id/:id': { url: '/v1/agent/health/service/id/walk-svc' },
    'GET /v1/agent/health/service/name/:name': { url: '/v1/agent/health/service/name/walk-svc' },
    'PUT /v1/acl/token': { url: '/v1/acl/token', body: { Description: 'x' } },
    'GET /v1/acl/token/:accessor': { url: `/v1/acl/token/${victimToken}` },
    'PUT /v1/acl/token/:accessor': { url: `/v1/acl/token/${victimToken}`, body: { Description: 'y' } },
    'DELETE /v1/acl/token/:accessor': { url: `/v1/acl/token/${victimToken}` },
    'PUT /v1/acl/token/:accessor/clone': { url: `/v1/acl/token/${victimToken}/clone` },
    'PUT /v1/acl/policy': { url: '/v1/acl/policy', body: { Name: `p-${randomUUID().slice(0, 8)}` } },
    'GET /v1/acl/policy/name/:name': { url: '/v1/acl/policy/name/global-management' },
    'GET /v1/acl/policy/:id': { url: `/v1/acl/policy/${victimPolicy}` },
    'PUT /v1/acl/policy/:id': { url: `/v1/acl/policy/${victimPolicy}`, body: { Name: `q-${randomUUID().slice(0, 8)}` } },
    'DELETE /v1/acl/policy/:id': { url: `/v1/acl/policy/${victimPolicy}` },
    'PUT /v1/config': { url: '/v1/config', body: { Kind: 'mesh', Peering: { PeerThroughMeshGateways: false } } },
    'GET /v1/config/:kind': { url: '/v1/config/exported-services' },
    'GET /v1/config/:kind/:name': { url: '/v1/config/exported-services/default' },
    'DELETE /v1/config/:kind/:name': { url: '/v1/config/exported-services/default' },
    'DELETE /v1/config/:kind': { url: '/v1/config/exported-services' },
    'GET /v1/agent/connect/ca/leaf/:service': { url: '/v1/agent/connect/ca/leaf/walk-svc' },
    'PUT /v1/connect/ca/configuration': { url: '/v1/connect/ca/configuration', body: { Provider: 'consul', Config: { LeafCertTTL: '72h' } } },
    'GET /v1/connect/intentions/match': { url: '/v1/connect/intentions/match?by=destination&name=web' },
    'GET /v1/connect/intentions/check': { url: '/v1/connect/intentions/check?source=a&destination=web' },
    'GET /v1/connect/intentions/exact': { url: '/v1/connect/intentions/exact?source=a&destination=web' },
    'PUT /v1/connect/intentions/exact': { url: '/v1/connect/intentions/exact?source=b&destination=web', body: { Action: 'deny' } },
    'DELETE /v1/connect/intentions/exact': { url: '/v1/connect/intentions/exact?source=a&destination=web' },
    'PUT /v1/agent/service/maintenance/:id': { url: '/v1/agent/service/maintenance/walk-svc?enable=true&reason=test' },
    'PUT /v1/agent/maintenance': { url: '/v1/agent/maintenance?enable=false' },
    'POST /v1/agent/connect/authorize': { url: '/v1/agent/connect/authorize', body: { Target: 'web', ClientCertURI: 'spiffe://x.consul/ns/default/dc/dc1/svc/a' } },
    'GET /v1/internal/peering/trust-bundles': { url: '/v1/internal/peering/trust-bundles?service=web' },
    'GET /v1/kv/*': { url: '/v1/kv/?keys' },
    'PUT /v1/kv/*': { url: '/v1/kv/walk', body: 'v' },
    'DELETE /v1/kv/*': { url: '/v1/kv/walk' },
    'POST /v1/connect/intentions': { url: '/v1/connect/intentions', body: { SourceName: `s-${randomUUID().slice(0, 6)}`, DestinationName: 'web', Action: 'allow' } },
  };
  return samples[key] ?? { url: r.path };
}

function rulesFor(resource: AclResourceName, access: AclAccess): string {
  if (resource === 'intention') return `service_prefix "" {\n  policy = "read"\n  intentions = "${access}"\n}\n`;
  if (['acl', 'operator', 'mesh', 'peering', 'keyring'].includes(resource)) return `${resource} = "${access}"\n`;
  return `${resource}_prefix "" {\n  policy = "${access}"\n}\n`;
}

async function tokenWith(rules: string): Promise<string> {
  const name = `walk-${randomUUID().slice(0, 8)}`;
  const p = await asMgmt('PUT', '/v1/acl/policy', { Name: name, Rules: rules });
  assert.equal(p.status, 200, p.body);
  const tok = await asMgmt('PUT', '/v1/acl/token', { Policies: [{ Name: name }] });
  return tok.json<{ SecretID: string }>().SecretID;
}

describe('every route enforces the permission the route table declares', () => {
  it('covers all routes with a sample', async () => {
    const routes = t.agent.routes;
    assert.ok(routes.length >= 60, `expected the full route table, got ${routes.length}`);
  });

  it('walks the table', async () => {
    const noPerms = await tokenWith('');
    const failures: string[] = [];
    for (const r of t.agent.routes) {
      const acl = r.acl;
      if ('none' in acl) continue;
      const req = 'handler' in acl ? acl.example : acl;
      const granted = await tokenWith(rulesFor(req.resource, req.access));
      await prepare();
      const s = sample(r);
      const denied = await t.request(r.method, s.url, s.body, { 'X-Consul-Token': noPerms });
      const filtered = 'filtered' in acl && acl.filtered === true;
      if (filtered) {
        if (denied.status !== 200) failures.push(`${r.method} ${r.path}: filtered list answered ${denied.status} without permission`);
      } else if (denied.status !== 403 || !denied.body.startsWith('Permission denied')) {
        failures.push(`${r.method} ${r.path}: expected 403 without ${req.resource}:${req.access}, got ${denied.status} ${denied.body.slice(0, 120)}`);
      }
      await prepare();
      const ok = await t.request(r.method, s.url, s.body, { 'X-Consul-Token': granted });
      if (ok.status === 401 || ok.status === 403 || ok.status === 500) failures.push(`${r.method} ${r.path}: expected success with ${req.resource}:${req.access}, got ${ok.status} ${ok.body.slice(0, 160)}`);
    }
    assert.deepEqual(failures, []);
  });

  it('filters list results the token may not see and says so in a header', async () => {
    await prepare();
    const onlyWeb = await tokenWith('node_prefix "walk" {\n  policy = "read"\n}\n');
    const r = await t.request('GET', '/v1/catalog/nodes', undefined, { 'X-Consul-Token': onlyWeb });
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.json<{ Node: string }[]>().map((n) => n.Node),
      ['walk', 'walker'],
    );
    const none = await tokenWith('');
    const r2 = await t.request('GET', '/v1/catalog/nodes', undefined, { 'X-Consul-Token': none });
    assert.deepEqual(r2.json(), []);
    assert.equal(r2.headers['x-consul-results-filtered-by-acls'], 'true');
  });
});
