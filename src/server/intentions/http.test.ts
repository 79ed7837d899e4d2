// In-process tests of /v1/connect/intentions/*: match, check, exact, legacy create, name rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
let t: TestAgent;
before(async () => {
  t = await startTestAgent();
  await t.request('PUT', '/v1/config', {
    Kind: 'service-intentions',
    Name: 'db',
    Sources: [
      { Name: 'web', Action: 'allow' },
      { Name: '*', Action: 'deny' },
      { Name: 'web', Peer: 'west', Action: 'allow', Description: 'from west' },
    ],
  });
});
after(() => t.close());

describe('intentions API', () => {
  it('matches by destination in precedence order, keyed by the name as given', async () => {
    const r = (await t.request('GET', '/v1/connect/intentions/match?by=destination&name=db')).json<Record<string, Obj[]>>();
    assert.deepEqual(
      r.db?.map((i) => [i.SourcePeer ?? '', i.SourceName, i.Action, i.Precedence]),
      [
        ['', 'web', 'allow', 9],
        ['west', 'web', 'allow', 9],
        ['', '*', 'deny', 8],
      ],
    );
  });

  it('matches by source, wildcard sources included, peer sources excluded', async () => {
    const r = (await t.request('GET', '/v1/connect/intentions/match?by=source&name=web')).json<Record<string, Obj[]>>();
    assert.deepEqual(
      r.web?.map((i) => `${i.SourceName}->${i.DestinationName}`),
      ['web->db', '*->db'],
    );
  });

  it('checks a call: allowed, denied, and the default when nothing matches', async () => {
    assert.deepEqual((await t.request('GET', '/v1/connect/intentions/check?source=web&destination=db')).json(), { Allowed: true });
    assert.deepEqual((await t.request('GET', '/v1/connect/intentions/check?source=api&destination=db')).json(), { Allowed: false });
    assert.deepEqual((await t.request('GET', '/v1/connect/intentions/check?source=api&destination=cache')).json(), { Allowed: true }, 'ACLs off: default allow');
  });

  it('reads an exact intention, including a peer source', async () => {
    const local = (await t.request('GET', '/v1/connect/intentions/exact?source=web&destination=db')).json<Obj>();
    assert.equal(local.Action, 'allow');
    const peer = (await t.request('GET', '/v1/connect/intentions/exact?source=peer:west/web&destination=db')).json<Obj>();
    assert.equal(peer.Description, 'from west');
    const missing = await t.request('GET', '/v1/connect/intentions/exact?source=nope&destination=db');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, 'Intention not found');
  });

  it('upserts and deletes through exact, editing the config entry', async () => {
    assert.equal((await t.request('PUT', '/v1/connect/intentions/exact?source=api&destination=db', { Action: 'allow' })).body, 'true');
    assert.deepEqual((await t.request('GET', '/v1/connect/intentions/check?source=api&destination=db')).json(), { Allowed: true });
    assert.equal((await t.request('DELETE', '/v1/connect/intentions/exact?source=api&destination=db')).body, 'true');
    assert.deepEqual((await t.request('GET', '/v1/connect/intentions/check?source=api&destination=db')).json(), { Allowed: false });
  });

  it('creates through the legacy endpoint with an ID, and refuses a Peer there', async () => {
    const r = await t.request('POST', '/v1/connect/intentions', { SourceName: 'batch', DestinationName: 'db', Action: 'allow' });
    assert.equal(r.status, 200, r.body);
    assert.match(String(r.json<Obj>().ID), /^[0-9a-f-]{36}$/);
    const peer = await t.request('POST', '/v1/connect/intentions', { SourceName: 'x', SourcePeer: 'west', DestinationName: 'db', Action: 'allow' });
    assert.equal(peer.status, 400);
    assert.equal(peer.body, 'Sources[0].Peer cannot be set by legacy intentions');
    const list = (await t.request('GET', '/v1/connect/intentions')).json<Obj[]>();
    assert.ok(list.some((i) => i.SourceName === 'batch' && typeof i.ID === 'string'));
  });

  it('refuses bad query parameters with Consul texts', async () => {
    const cases: [string, string][] = [
      ['/v1/connect/intentions/match?name=db', "required query parameter 'by' not set"],
      ['/v1/connect/intentions/match?by=sideways&name=db', "'by' parameter must be one of 'source' or 'destination'"],
      ['/v1/connect/intentions/match?by=source', "required query parameter 'name' not set"],
      ['/v1/connect/intentions/match?by=source&name=a/b/c/d', `name "a/b/c/d" is invalid: input can contain at most two '/'`],
      ['/v1/connect/intentions/match?by=source&name=peer:west/web', 'name "peer:west/web" is invalid: cannot specify a peer here'],
      ['/v1/connect/intentions/check?destination=db', "required query parameter 'source' not set"],
      ['/v1/connect/intentions/check?source=web', "required query parameter 'destination' not set"],
      ['/v1/connect/intentions/check?source=peer:west/web&destination=db', 'cannot specify a peer here'],
      ['/v1/connect/intentions/exact?source=peer:west&destination=db', 'need to specify the service name as well'],
    ];
    for (const [url, message] of cases) {
      const r = await t.request('GET', url);
      assert.equal(r.status, 400, url);
      assert.equal(r.body, message, url);
    }
  });
});

describe('intentions default under ACL default deny', () => {
  it('denies an unmatched check when ACLs default to deny', async () => {
    const mgmt = '11111111-2222-4333-8444-555555555555';
    const d = await startTestAgent({ flags: { node: 'deny' }, file: { acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: mgmt } } } });
    try {
      const r = await d.request('GET', '/v1/connect/intentions/check?source=a&destination=b', undefined, { 'X-Consul-Token': mgmt });
      assert.deepEqual(r.json(), { Allowed: false });
    } finally {
      await d.close();
    }
  });
});
