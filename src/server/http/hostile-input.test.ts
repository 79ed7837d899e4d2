// Hostile request bodies against a whole in-process agent (issue 10, classes 1 and 2): deep nesting
// answers 400 with a clear message on every endpoint that decodes JSON or HCL, keys named like JS
// built-ins are unknown fields (never inherited members), and nothing pollutes a prototype.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { depthMessage } from '../../lib/nesting.js';
import { startTestAgent, type TestAgent } from '../test-agent.js';

let agent: TestAgent;
const store = new MemoryStore();
const ROOT = '8a2f1c3e-0000-4000-8000-00000000a11c';
before(async () => {
  // ACLs on (default allow) so the ACL endpoints decode bodies; every request carries the management token.
  agent = await startTestAgent({ store, listen: true, flags: { node: 'hostile' }, file: { acl: { enabled: true, default_policy: 'allow', tokens: { initial_management: ROOT } } } });
});
after(() => agent.close());
const t = { request: (method: string, url: string, body?: unknown) => agent.request(method, url, body, { 'X-Consul-Token': ROOT }) };

const DEPTH = 5000;
/** `{"K":{"K":…1…}}` nested `n` levels, as text (JSON.stringify itself would overflow building it). */
const nestedObject = (key: string, n: number, leaf = '1'): string => `{"${key}":`.repeat(n) + leaf + '}'.repeat(n);
const nestedArray = (n: number): string => '['.repeat(n) + ']'.repeat(n);

/** Every endpoint that decodes a JSON body, with a valid-looking prefix to splice the deep value into. */
const JSON_ENDPOINTS: [string, string, (deep: string) => string][] = [
  ['PUT', '/v1/agent/service/register', (d) => `{"Name":"web","Port":80,"Meta":${d}}`],
  ['PUT', '/v1/agent/check/register', (d) => `{"Name":"c","TTL":"10s","Notes":${d}}`],
  ['PUT', '/v1/agent/check/update/nope', (d) => `{"Status":"passing","Output":${d}}`],
  ['PUT', '/v1/catalog/register', (d) => `{"Node":"n1","Address":"10.0.0.1","NodeMeta":${d}}`],
  ['PUT', '/v1/catalog/deregister', (d) => `{"Node":"n1","ServiceID":${d}}`],
  ['PUT', '/v1/acl/token', (d) => `{"Description":${d}}`],
  ['PUT', '/v1/acl/policy', (d) => `{"Name":"p","Rules":${d}}`],
  ['PUT', '/v1/config', (d) => `{"Kind":"proxy-defaults","Name":"global","Config":${d}}`],
  ['PUT', '/v1/connect/ca/configuration', (d) => `{"Provider":"consul","Config":${d}}`],
  ['POST', '/v1/connect/intentions', (d) => `{"SourceName":"a","DestinationName":"b","Action":"allow","Meta":${d}}`],
  ['PUT', '/v1/connect/intentions/exact?source=a&destination=b', (d) => `{"SourceName":"a","DestinationName":"b","Action":"allow","Meta":${d}}`],
  ['POST', '/v1/peering/token', (d) => `{"PeerName":"p1","Meta":${d}}`],
  ['POST', '/v1/peering/establish', (d) => `{"PeerName":"p1","PeeringToken":${d}}`],
  ['POST', '/v1/agent/connect/authorize', (d) => `{"Target":"web","ClientCertURI":${d}}`],
];

describe('deep nesting (class 1)', () => {
  for (const [method, url, body] of JSON_ENDPOINTS) {
    it(`${method} ${url}: ${DEPTH} nested objects and arrays → 400 "exceeded max depth"`, async () => {
      for (const deep of [nestedObject('a', DEPTH), nestedArray(DEPTH)]) {
        const r = await t.request(method, url, body(deep));
        assert.equal(r.status, 400, `${r.status} ${r.body.slice(0, 200)}`);
        assert.ok(r.body.includes(depthMessage()), r.body.slice(0, 200));
      }
    });
  }

  it('refuses the issue’s Connect.SidecarService chain and Proxy.Config nesting', async () => {
    const chain = '{"Name":"web","Port":80,"Connect":' + '{"SidecarService":{"Connect":'.repeat(1500) + '{}' + '}}'.repeat(1500) + '}';
    for (const body of [chain, `{"Name":"web","Port":80,"Kind":"connect-proxy","Proxy":{"DestinationServiceName":"web","Config":${nestedObject('x', DEPTH)}}}`]) {
      const r = await t.request('PUT', '/v1/agent/service/register', body);
      assert.equal(r.status, 400, r.body.slice(0, 200));
      assert.match(r.body, /^Request decode failed: exceeded max depth/);
    }
  });

  it('refuses deep HCL in ACL policy rules with the same message (the HCL parser never overflows)', async () => {
    for (const rules of [`x = ${nestedArray(DEPTH)}`, `service "a" ${'{ x = '.repeat(DEPTH)}1${' }'.repeat(DEPTH)}`]) {
      const r = await t.request('PUT', '/v1/acl/policy', { Name: 'deep', Rules: rules });
      assert.equal(r.status, 400, r.body.slice(0, 200));
      assert.ok(r.body.includes(depthMessage()), r.body.slice(0, 200));
    }
  });

  it('refuses deeply nested ?filter= expressions with 400', async () => {
    const f = encodeURIComponent('('.repeat(DEPTH) + 'Service == "a"' + ')'.repeat(DEPTH));
    const nots = encodeURIComponent('not '.repeat(DEPTH) + 'Service == "a"');
    for (const q of [f, nots]) {
      const r = await t.request('GET', `/v1/agent/services?filter=${q}`);
      assert.equal(r.status, 400, r.body.slice(0, 200));
      assert.ok(r.body.includes(depthMessage()), r.body.slice(0, 200));
    }
  });

  it('still accepts reasonable nesting (proxy Config a few levels deep)', async () => {
    const r = await t.request('PUT', '/v1/config', { Kind: 'proxy-defaults', Name: 'global', Config: { a: { b: { c: { d: [1, [2, [3]]] } } } } });
    assert.equal(r.status, 200, r.body);
  });
});

const BUILTINS = ['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];
/** Endpoint, a valid body, and the decode prefix Consul uses there. */
const OBJECT_ENDPOINTS: [string, string, Record<string, unknown>][] = [
  ['PUT', '/v1/agent/service/register', { Name: 'x', Port: 1 }],
  ['PUT', '/v1/agent/check/register', { Name: 'c', TTL: '10s' }],
  ['PUT', '/v1/catalog/register', { Node: 'n1', Address: '10.0.0.1' }],
  ['PUT', '/v1/catalog/deregister', { Node: 'n1' }],
  ['PUT', '/v1/acl/token', { Description: 'd' }],
  ['PUT', '/v1/acl/policy', { Name: 'p2' }],
  ['PUT', '/v1/config', { Kind: 'service-defaults', Name: 'web', Protocol: 'http' }],
  ['PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: {} }],
  ['POST', '/v1/connect/intentions', { SourceName: 'a', DestinationName: 'b', Action: 'allow' }],
  ['POST', '/v1/peering/token', { PeerName: 'p3' }],
  ['POST', '/v1/peering/establish', { PeerName: 'p3', PeeringToken: 'eyJ9' }],
  ['POST', '/v1/agent/connect/authorize', { Target: 'web', ClientCertURI: 'spiffe://x/ns/default/dc/dc1/svc/a' }],
];

describe('keys named like JS built-ins (class 2)', () => {
  for (const [method, url, valid] of OBJECT_ENDPOINTS) {
    it(`${method} ${url}: each built-in name is an unknown field`, async () => {
      const before = await store.revision();
      for (const key of BUILTINS) {
        // Spliced as text: an object literal with __proto__ would not carry the key.
        const body = JSON.stringify(valid).slice(0, -1) + `,${JSON.stringify(key)}:1}`;
        const r = await t.request(method, url, body);
        assert.equal(r.status, 400, `${key}: ${r.status} ${r.body}`);
        assert.ok(r.body.endsWith(`json: unknown field "${key}"`), `${key}: ${r.body}`);
        assert.doesNotMatch(r.body, /native code|\[object Object\]|undefined/);
      }
      assert.equal(await store.revision(), before, 'refused requests stored nothing');
    });
  }

  it('keeps built-in names as ordinary map keys (Meta round-trips them) and pollutes nothing', async () => {
    const body = '{"Name":"meta-web","Port":80,"Meta":{"toString":"t","__proto__":"p","constructor":"c"},"TaggedAddresses":{"__proto__":{"Address":"10.1.1.1","Port":9}}}';
    const r = await t.request('PUT', '/v1/agent/service/register', body);
    assert.equal(r.status, 200, r.body);
    const svc = (await t.request('GET', '/v1/agent/service/meta-web')).json<{ Meta: Record<string, string>; TaggedAddresses: Record<string, unknown> }>();
    assert.equal(svc.Meta.toString, 't');
    assert.equal(Object.getOwnPropertyDescriptor(svc.Meta, '__proto__')?.value, 'p');
    assert.equal(svc.Meta.constructor, 'c');
    assert.equal(({} as Record<string, unknown>).Address, undefined, 'Object.prototype untouched');
    const node = await t.request('PUT', '/v1/catalog/register', '{"Node":"n-proto","Address":"10.0.0.9","NodeMeta":{"__proto__":"x"},"Service":{"ID":"__proto__","Service":"p","Port":1}}');
    assert.equal(node.status, 200, node.body);
    const services = (await t.request('GET', '/v1/catalog/node/n-proto')).json<{ Services: Record<string, unknown> }>().Services;
    assert.ok(Object.hasOwn(services, '__proto__'), 'a service with ID __proto__ is listed under its own key');
    const filtered = await t.request('GET', `/v1/agent/services?filter=${encodeURIComponent('Meta.toString == "t"')}`);
    assert.deepEqual(Object.keys(filtered.json<object>()), ['meta-web']);
    const none = await t.request('GET', `/v1/agent/services?filter=${encodeURIComponent('Service.constructor is not empty')}`);
    assert.deepEqual(Object.keys(none.json<object>()), [], 'inherited members are not selectable');
  });

  it('refuses a config entry kind named like a built-in', async () => {
    for (const kind of ['toString', '__proto__', 'constructor']) {
      const r = await t.request('PUT', '/v1/config', { Kind: kind, Name: 'x' });
      assert.equal(r.status, 400, r.body);
      assert.equal(r.body, `Request decoding failed: invalid config entry kind: ${kind}`);
      const list = await t.request('GET', `/v1/config/${kind}`);
      assert.equal(list.status, 400, list.body);
    }
  });
});
