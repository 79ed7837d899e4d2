// POST /v1/internal/acl/authorize: Consul's request/response shape, limits and error texts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

const MGMT = '9a4c7e1b-0d2f-4b6a-8c3e-5f7a9b1d3e50';
let t: TestAgent;
let readOnly = '';
const ask = (body: unknown, token?: string) => t.request('POST', '/v1/internal/acl/authorize', body, token ? { 'X-Consul-Token': token } : {});

before(async () => {
  t = await startTestAgent({ file: { acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } } });
  const h = { 'X-Consul-Token': MGMT };
  await t.request('PUT', '/v1/acl/policy', { Name: 'ro', Rules: 'service_prefix "" { policy = "read" }\nservice "web" { policy = "write" }\npeering = "read"\nkey_prefix "app/" { policy = "list" }\n' }, h);
  readOnly = (await t.request('PUT', '/v1/acl/token', { Policies: [{ Name: 'ro' }] }, h)).json<{ SecretID: string }>().SecretID;
});
after(() => t.close());

describe('POST /v1/internal/acl/authorize', () => {
  it('answers each item in order, echoing it with Allow; Segment omitted when empty; Access lower-cased', async () => {
    const r = await ask(
      [
        { Resource: 'service', Segment: 'web', Access: 'write' },
        { Resource: 'service', Segment: 'db', Access: 'WRITE' },
        { resource: 'service', segment: 'db', access: 'read' },
        { Resource: 'peering', Access: 'read' },
        { Resource: 'peering', Access: 'write' },
        { Resource: 'intention', Segment: 'db', Access: 'read' },
        { Resource: 'intention', Segment: 'db', Access: 'write' },
        { Resource: 'operator', Access: 'read' },
        { Resource: 'key', Segment: 'app/x', Access: 'list' },
        { Resource: 'key', Segment: 'app/x', Access: 'write-prefix' },
      ],
      readOnly,
    );
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json(), [
      { Resource: 'service', Segment: 'web', Access: 'write', Allow: true },
      { Resource: 'service', Segment: 'db', Access: 'write', Allow: false },
      { Resource: 'service', Segment: 'db', Access: 'read', Allow: true },
      { Resource: 'peering', Access: 'read', Allow: true },
      { Resource: 'peering', Access: 'write', Allow: false },
      { Resource: 'intention', Segment: 'db', Access: 'read', Allow: true },
      { Resource: 'intention', Segment: 'db', Access: 'write', Allow: false },
      { Resource: 'operator', Access: 'read', Allow: false },
      { Resource: 'key', Segment: 'app/x', Access: 'list', Allow: true },
      { Resource: 'key', Segment: 'app/x', Access: 'write-prefix', Allow: false },
    ]);
  });

  it('uses the anonymous token without one, and management may do everything', async () => {
    assert.deepEqual((await ask([{ Resource: 'acl', Access: 'write' }])).json(), [{ Resource: 'acl', Access: 'write', Allow: false }]);
    assert.deepEqual((await ask([{ Resource: 'acl', Access: 'write' }], MGMT)).json(), [{ Resource: 'acl', Access: 'write', Allow: true }]);
    assert.deepEqual((await ask([], readOnly)).json(), []);
  });

  it('refuses bad requests with Consul texts', async () => {
    const tooMany = await ask(Array.from({ length: 65 }, () => ({ Resource: 'acl', Access: 'read' })), MGMT);
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body, 'Refusing to process more than 64 authorizations at once');
    assert.equal((await ask(Array.from({ length: 64 }, () => ({ Resource: 'acl', Access: 'read' })), MGMT)).status, 200);
    const badRes = await ask([{ Resource: 'bogus', Access: 'read' }], MGMT);
    assert.equal(badRes.status, 400);
    assert.equal(badRes.body, 'Invalid ACL resource requested: "bogus"');
    const badAccess = await ask([{ Resource: 'peering', Access: 'list' }], MGMT);
    assert.equal(badAccess.status, 400);
    assert.equal(badAccess.body, 'Invalid access level for peering resource: list');
    const notJson = await ask('{', MGMT);
    assert.equal(notJson.status, 400);
    assert.match(notJson.body, /^Failed to decode request body: /);
    const notArray = await ask({ Resource: 'acl', Access: 'read' }, MGMT);
    assert.equal(notArray.status, 400);
    assert.match(notArray.body, /^Failed to decode request body: /);
  });

  it('answers 403 "ACL not found" for an unknown token', async () => {
    const r = await ask([{ Resource: 'acl', Access: 'read' }], 'not-a-token');
    assert.equal(r.status, 403);
    assert.equal(r.body, 'ACL not found');
  });

  it('answers 401 "ACL support disabled" when ACLs are off', async () => {
    const off = await startTestAgent();
    try {
      const r = await off.request('POST', '/v1/internal/acl/authorize', [{ Resource: 'acl', Access: 'read' }]);
      assert.equal(r.status, 401);
      assert.equal(r.body, 'ACL support disabled');
    } finally {
      await off.close();
    }
  });
});
