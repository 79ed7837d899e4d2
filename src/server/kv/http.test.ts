// In-process HTTP tests of /v1/kv and /v1/txn: Consul's shapes, statuses, headers, blocking and ACLs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Pair = { LockIndex: number; Key: string; Flags: number; Value: string | null; Session?: string; CreateIndex: number; ModifyIndex: number };
let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t.close());

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('/v1/kv', () => {
  it('misses with 404, an empty body, no Content-Type and an index', async () => {
    const r = await t.request('GET', '/v1/kv/nothing/here');
    assert.equal(r.status, 404);
    assert.equal(r.body, '');
    assert.equal(r.headers['content-type'], undefined);
    assert.ok(Number(r.headers['x-consul-index']) >= 1);
    assert.equal(r.headers['x-consul-knownleader'], 'true');
  });

  it('puts and gets a value as an array of pairs, index = ModifyIndex', async () => {
    assert.equal((await t.request('PUT', '/v1/kv/app/config?flags=42', 'hello')).body, 'true');
    const r = await t.request('GET', '/v1/kv/app/config');
    assert.equal(r.status, 200);
    const [p] = r.json<Pair[]>();
    assert.deepEqual(Object.keys(p ?? {}), ['LockIndex', 'Key', 'Flags', 'Value', 'CreateIndex', 'ModifyIndex']);
    assert.equal(p?.Key, 'app/config');
    assert.equal(p?.Flags, 42);
    assert.equal(p?.Value, b64('hello'));
    assert.equal(r.headers['x-consul-index'], String(p?.ModifyIndex));
  });

  it('serves ?raw as bare bytes with Consul headers', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await t.agent.http.inject({ method: 'PUT', url: '/v1/kv/bin', payload: bytes, headers: { 'content-type': 'application/octet-stream' } });
    const r = await t.agent.http.inject({ method: 'GET', url: '/v1/kv/bin?raw' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual([...r.rawPayload], [...bytes]);
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['content-security-policy'], 'sandbox');
  });

  it('renders an empty value as null', async () => {
    await t.request('PUT', '/v1/kv/empty', '');
    assert.equal((await t.request('GET', '/v1/kv/empty')).json<Pair[]>()[0]?.Value, null);
  });

  it('lists ?recurse sorted, ?keys with a separator, and 404s an empty prefix (not the root)', async () => {
    for (const k of ['web/foo', 'web/bar', 'web/subdir/a', 'web/subdir/b']) await t.request('PUT', `/v1/kv/${k}`, k);
    const rec = await t.request('GET', '/v1/kv/web/?recurse');
    assert.deepEqual(
      rec.json<Pair[]>().map((p) => p.Key),
      ['web/bar', 'web/foo', 'web/subdir/a', 'web/subdir/b'],
    );
    assert.equal(rec.headers['x-consul-index'], String(Math.max(...rec.json<Pair[]>().map((p) => p.ModifyIndex))));
    assert.deepEqual((await t.request('GET', '/v1/kv/web/?keys&separator=/')).json(), ['web/bar', 'web/foo', 'web/subdir/']);
    assert.deepEqual((await t.request('GET', '/v1/kv/web/?keys&seperator=/')).json(), ['web/bar', 'web/foo', 'web/subdir/'], 'the old spelling works');
    assert.equal((await t.request('GET', '/v1/kv/nope/?keys')).status, 404);
    assert.equal((await t.request('GET', '/v1/kv/nope/?recurse')).status, 404);
    const root = await t.request('GET', '/v1/kv/?keys');
    assert.equal(root.status, 200);
    assert.ok(root.json<string[]>().includes('web/foo'));
  });

  it('refuses an empty key without ?recurse', async () => {
    for (const m of ['GET', 'PUT', 'DELETE']) {
      const r = await t.request(m, '/v1/kv/');
      assert.equal(r.status, 400, m);
      assert.equal(r.body, 'Missing key name');
    }
  });

  it('honours ?cas on PUT and DELETE and answers the outcome', async () => {
    assert.equal((await t.request('PUT', '/v1/kv/cas/k?cas=0', 'a')).body, 'true');
    assert.equal((await t.request('PUT', '/v1/kv/cas/k?cas=0', 'b')).body, 'false');
    const idx = (await t.request('GET', '/v1/kv/cas/k')).json<Pair[]>()[0]?.ModifyIndex ?? 0;
    assert.equal((await t.request('PUT', `/v1/kv/cas/k?cas=${idx + 1000}`, 'c')).body, 'false');
    assert.equal((await t.request('PUT', `/v1/kv/cas/k?cas=${idx}`, 'c')).body, 'true');
    const idx2 = (await t.request('GET', '/v1/kv/cas/k')).json<Pair[]>()[0]?.ModifyIndex ?? 0;
    assert.equal((await t.request('DELETE', '/v1/kv/cas/k?cas=0')).body, 'false');
    assert.equal((await t.request('DELETE', `/v1/kv/cas/k?cas=${idx2}`)).body, 'true');
    assert.equal((await t.request('GET', '/v1/kv/cas/k')).status, 404);
  });

  it('refuses conflicting flags, bad numbers, sessions and ?peer with 400', async () => {
    const c = await t.request('PUT', '/v1/kv/x?cas=1&release=abc', 'v');
    assert.equal(c.status, 400);
    assert.equal(c.body, 'Conflicting flags: cas=1&release=abc\n');
    assert.equal((await t.request('DELETE', '/v1/kv/x?recurse&cas=1')).status, 400);
    assert.equal((await t.request('PUT', '/v1/kv/x?flags=abc', 'v')).status, 400);
    const s = await t.request('PUT', '/v1/kv/x?acquire=abc', 'v');
    assert.equal(s.status, 400);
    assert.match(s.body, /sessions/);
    const p = await t.request('GET', '/v1/kv/x?peer=west');
    assert.equal(p.status, 400);
    assert.match(p.body, /never shared with cluster peers/);
  });

  it("refuses values over 512 KiB with Consul's 413", async () => {
    const r = await t.request('PUT', '/v1/kv/big', 'x'.repeat(524289));
    assert.equal(r.status, 413);
    assert.equal(r.body, 'Request body(524289 bytes) too large, max size: 524288 bytes. See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.');
    assert.equal((await t.request('PUT', '/v1/kv/big', 'x'.repeat(524288))).status, 200, 'exactly the limit is fine');
  });

  it('deletes a tree with ?recurse and answers 405 with Allow for other methods', async () => {
    for (const k of ['tree/a', 'tree/b/c', 'treehouse']) await t.request('PUT', `/v1/kv/${k}`, 'v');
    assert.equal((await t.request('DELETE', '/v1/kv/tree/?recurse')).body, 'true');
    assert.equal((await t.request('GET', '/v1/kv/tree/?recurse')).status, 404);
    assert.equal((await t.request('GET', '/v1/kv/treehouse')).status, 200);
    const r = await t.request('POST', '/v1/kv/x');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'OPTIONS,GET,PUT,DELETE');
  });

  it('blocks on ?index until the key changes, ignoring writes to other keys', async () => {
    await t.request('PUT', '/v1/kv/watch/me', 'one');
    const idx = Number((await t.request('GET', '/v1/kv/watch/me')).headers['x-consul-index']);
    const started = Date.now();
    const blocked = t.request('GET', `/v1/kv/watch/me?index=${idx}&wait=20s`);
    let settled = false;
    void blocked.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 150));
    await t.request('PUT', '/v1/kv/watch/other', 'x');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(settled, false, 'a write to another key does not answer the query');
    await t.request('PUT', '/v1/kv/watch/me', 'two');
    const r = await blocked;
    assert.ok(Date.now() - started < 15_000);
    assert.equal(r.json<Pair[]>()[0]?.Value, b64('two'));
    assert.ok(Number(r.headers['x-consul-index']) > idx);
  });

  it('wakes a blocked ?recurse on a deletion under the prefix and a blocked miss on creation', async () => {
    await t.request('PUT', '/v1/kv/blk/a', 'v');
    const idx = Number((await t.request('GET', '/v1/kv/blk/?recurse')).headers['x-consul-index']);
    const blocked = t.request('GET', `/v1/kv/blk/?recurse&index=${idx}&wait=20s`);
    await new Promise((r) => setTimeout(r, 100));
    await t.request('DELETE', '/v1/kv/blk/a');
    const r = await blocked;
    assert.equal(r.status, 404);
    assert.ok(Number(r.headers['x-consul-index']) > idx);
    const miss = await t.request('GET', '/v1/kv/later');
    const waiting = t.request('GET', `/v1/kv/later?index=${String(miss.headers['x-consul-index'])}&wait=20s`);
    await new Promise((r2) => setTimeout(r2, 100));
    await t.request('PUT', '/v1/kv/later', 'now');
    assert.equal((await waiting).status, 200);
  });
});

describe('/v1/txn', () => {
  const txn = (ops: unknown) => t.request('PUT', '/v1/txn', ops);

  it('applies KV operations atomically with Consul result shapes', async () => {
    const r = await txn([{ KV: { Verb: 'set', Key: 'tx/a', Value: b64('A'), Flags: 3 } }, { KV: { Verb: 'set', Key: 'tx/b', Value: b64('B') } }, { KV: { Verb: 'get', Key: 'tx/a' } }]);
    assert.equal(r.status, 200, r.body);
    const body = r.json<{ Results: { KV: Pair }[]; Errors: null }>();
    assert.equal(body.Errors, null);
    assert.deepEqual(Object.keys(body), ['Results', 'Errors']);
    assert.equal(body.Results.length, 3);
    assert.equal(body.Results[0]?.KV.Value, null, 'write results carry no value');
    assert.equal(body.Results[2]?.KV.Value, b64('A'));
    assert.equal(body.Results[0]?.KV.ModifyIndex, body.Results[1]?.KV.ModifyIndex, 'one commit, one index');
  });

  it('answers 409 with every error and applies nothing when an operation fails', async () => {
    const idx = (await t.request('GET', '/v1/kv/tx/b')).json<Pair[]>()[0]?.ModifyIndex ?? 0;
    const r = await txn([
      { KV: { Verb: 'set', Key: 'tx/a', Value: b64('changed') } },
      { KV: { Verb: 'cas', Key: 'tx/b', Value: b64('x'), Index: 1 } },
      { KV: { Verb: 'check-index', Key: 'tx/b', Index: idx + 7 } },
      { KV: { Verb: 'bogus', Key: 'tx/a' } },
    ]);
    assert.equal(r.status, 409);
    assert.deepEqual(r.json(), {
      Results: null,
      Errors: [
        { OpIndex: 1, What: 'failed to set key "tx/b", index is stale' },
        { OpIndex: 2, What: `failed index check for key "tx/b", current modify index ${idx} != ${idx + 7}` },
        { OpIndex: 3, What: 'unknown KV verb "bogus"' },
      ],
    });
    assert.equal((await t.request('GET', '/v1/kv/tx/a')).json<Pair[]>()[0]?.Value, b64('A'));
  });

  it('runs read-only transactions with only leader headers', async () => {
    const r = await txn([{ KV: { Verb: 'get-tree', Key: 'tx/' } }]);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.json<{ Results: { KV: Pair }[] }>().Results.map((x) => x.KV.Key),
      ['tx/a', 'tx/b'],
    );
    assert.equal(r.headers['x-consul-knownleader'], 'true');
    assert.equal(r.headers['x-consul-index'], undefined);
  });

  it("refuses bad bodies and limits with Consul's texts", async () => {
    const bad = await t.request('PUT', '/v1/txn', '{nope');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^Failed to parse body: /);
    const many = await txn(Array.from({ length: 129 }, (_, i) => ({ KV: { Verb: 'get', Key: `k${i}` } })));
    assert.equal(many.status, 413);
    assert.equal(many.body, 'Transaction contains too many operations (129 > 128)');
  });
});

describe('KV ACLs (key and key_prefix rules)', () => {
  const MGMT = randomUUID();
  let a: TestAgent;
  let token = '';
  const as = (method: string, url: string, body?: unknown, tok = token) => a.request(method, url, body, { 'X-Consul-Token': tok });
  before(async () => {
    a = await startTestAgent({ file: { acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } } });
    const rules = ['key_prefix "app/" { policy = "read" }', 'key_prefix "app/rw/" { policy = "write" }', 'key "app/rw/locked" { policy = "read" }', 'key_prefix "app/secret/" { policy = "deny" }', 'key_prefix "lst/" { policy = "list" }'].join('\n');
    assert.equal((await as('PUT', '/v1/acl/policy', { Name: 'kv', Rules: rules }, MGMT)).status, 200);
    token = (await as('PUT', '/v1/acl/token', { Policies: [{ Name: 'kv' }] }, MGMT)).json<{ SecretID: string }>().SecretID;
    for (const k of ['app/one', 'app/rw/x', 'app/rw/locked', 'app/secret/pw', 'lst/a']) assert.equal((await as('PUT', `/v1/kv/${k}`, 'v', MGMT)).status, 200);
  });
  after(() => a.close());

  it('reads and writes by the governing rule: exact beats prefix, longest prefix wins', async () => {
    assert.equal((await as('GET', '/v1/kv/app/one')).status, 200);
    assert.equal((await as('PUT', '/v1/kv/app/one', 'x')).status, 403);
    assert.equal((await as('PUT', '/v1/kv/app/rw/x', 'x')).status, 200);
    const locked = await as('PUT', '/v1/kv/app/rw/locked', 'x');
    assert.equal(locked.status, 403);
    assert.match(locked.body, /^Permission denied: token with AccessorID '.*' lacks permission 'key:write' on "app\/rw\/locked"$/);
    assert.equal((await as('GET', '/v1/kv/app/secret/pw')).status, 403);
    assert.equal((await as('GET', '/v1/kv/other')).status, 403, 'default deny');
    assert.equal((await as('GET', '/v1/kv/lst/a')).status, 403, 'list does not grant read');
  });

  it('drops unreadable entries from ?recurse and ?keys and says so', async () => {
    const r = await as('GET', '/v1/kv/app/?recurse');
    assert.deepEqual(
      r.json<Pair[]>().map((p) => p.Key),
      ['app/one', 'app/rw/locked', 'app/rw/x'],
    );
    assert.equal(r.headers['x-consul-results-filtered-by-acls'], 'true');
    const k = await as('GET', '/v1/kv/app/?keys');
    assert.deepEqual(k.json(), ['app/one', 'app/rw/locked', 'app/rw/x']);
  });

  it('deletes a tree only with write on the whole prefix and nothing less below it', async () => {
    const refused = await as('DELETE', '/v1/kv/app/rw/?recurse');
    assert.equal(refused.status, 403, 'the exact read rule on app/rw/locked blocks it');
    assert.equal((await as('GET', '/v1/kv/app/rw/x', undefined, MGMT)).status, 200, 'nothing deleted');
    await as('PUT', '/v1/kv/app/rw/y/z', 'v', MGMT);
    assert.equal((await as('DELETE', '/v1/kv/app/rw/y/?recurse')).status, 200);
    assert.equal((await as('GET', '/v1/kv/app/rw/y/z', undefined, MGMT)).status, 404);
  });

  it('reports txn denials per operation in Errors', async () => {
    const r = await as('PUT', '/v1/txn', [{ KV: { Verb: 'get', Key: 'app/one' } }, { KV: { Verb: 'set', Key: 'app/one', Value: b64('x') } }]);
    assert.equal(r.status, 409);
    const errs = r.json<{ Errors: { OpIndex: number; What: string }[] }>().Errors;
    assert.equal(errs.length, 1);
    assert.equal(errs[0]?.OpIndex, 1);
    assert.match(errs[0]?.What ?? '', /^Permission denied: .*'key:write' on "app\/one"/);
  });
});
