// Fuzz tier (issue 10): property-based requests against every write endpoint of an in-process agent
// (ACLs on, default allow). For any body, path segment and query: no 5xx, no crash, every 4xx carries
// a readable message, and a refused request stores nothing. Bounded run count (ISTHMUS_FUZZ_RUNS,
// default 25 per endpoint); fast-check prints the seed and the shrunk counterexample on failure
// (replay with ISTHMUS_FUZZ_SEED).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { startTestAgent, type TestAgent } from '../test-agent.js';

const RUNS = Number(process.env.ISTHMUS_FUZZ_RUNS ?? 25);
const SEED = process.env.ISTHMUS_FUZZ_SEED === undefined ? undefined : Number(process.env.ISTHMUS_FUZZ_SEED);
const ROOT = '6c0ffee0-0000-4000-8000-00000000f022';

let agent: TestAgent;
const store = new MemoryStore();
before(async () => {
  agent = await startTestAgent({ store, listen: true, flags: { node: 'fuzz' }, file: { acl: { enabled: true, default_policy: 'allow', tokens: { initial_management: ROOT } } } });
});
after(() => agent.close());

/** Field names the endpoints know, plus JS built-in names and near-misses. */
const KEYS = [
  'Name', 'ID', 'Port', 'Address', 'Node', 'Service', 'ServiceID', 'CheckID', 'Meta', 'NodeMeta', 'Tags', 'Check', 'Checks', 'Kind', 'Config',
  'Proxy', 'Connect', 'SidecarService', 'Upstreams', 'DestinationName', 'DestinationPeer', 'PeerName', 'PeeringToken', 'Partition', 'Rules',
  'Policies', 'Roles', 'Description', 'SecretID', 'AccessorID', 'SourceName', 'SourcePeer', 'Action', 'TTL', 'HTTP', 'TCP', 'Interval', 'Status',
  'Output', 'Notes', 'Provider', 'Services', 'Consumers', 'Peer', 'Protocol', 'Target', 'ClientCertURI', 'ServerExternalAddresses', 'Weights',
  'TaggedAddresses', 'EnableTagOverride', 'Datacenter', 'name', 'port', 'service_id', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf', '',
];
const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('web', 'default', 'passing', 'critical', '10s', 'allow', 'deny', 'proxy-defaults', 'service-defaults', 'exported-services', 'mesh', '127.0.0.1:8503', '\n[ERROR] forged', ''),
  fc.integer({ min: -5, max: 70000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
/** JSON text of an object with keys from KEYS (written as text so `__proto__` stays a key). */
const objectText: fc.Arbitrary<string> = fc.letrec<{ value: string; obj: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar.map((v) => JSON.stringify(v)), tie('obj'), fc.array(tie('value'), { maxLength: 3 }).map((a) => `[${a.join(',')}]`)),
  obj: fc.array(fc.tuple(fc.constantFrom(...KEYS), tie('value')), { maxLength: 6 }).map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
})).obj;
const body = fc.oneof(
  { weight: 5, arbitrary: objectText },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.integer({ min: 150, max: 3000 }).map((n) => '{"Name":"x","Meta":' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + '}') },
  { weight: 1, arbitrary: fc.constantFrom('', '{}', '[]', 'null', '{"Kind":"toString"}', '{"Name":"x","toString":1}', '{"__proto__":{"polluted":true}}') },
);
const segment = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('web', '__proto__', 'toString', 'service-defaults', 'a%0Ab', '..', 'x y'));
const query = fc.oneof(fc.constant(''), fc.constantFrom('?pretty', '?cas=0', '?cas=x', '?replace-existing-checks=true', '?ns=foo', '?filter=not%20not', '?source=a&destination=b'));

describe('fuzz: every write endpoint', () => {
  it('has write routes to fuzz', () => {
    const writes = agent.agent.routes.filter((r) => r.method !== 'GET');
    assert.ok(writes.length >= 25, `${writes.length} write routes`);
  });

  // Routes are read when the tests run; the list is fixed by the route table.
  const names = [
    'PUT /v1/catalog/register', 'PUT /v1/catalog/deregister', 'PUT /v1/agent/service/register', 'PUT /v1/agent/service/deregister/:id',
    'PUT /v1/agent/service/maintenance/:id', 'PUT /v1/agent/maintenance', 'PUT /v1/agent/check/register', 'PUT /v1/agent/check/deregister/:id',
    'PUT /v1/agent/check/pass/:id', 'PUT /v1/agent/check/warn/:id', 'PUT /v1/agent/check/fail/:id', 'PUT /v1/agent/check/update/:id',
    'PUT /v1/acl/bootstrap', 'PUT /v1/acl/token', 'PUT /v1/acl/token/:accessor', 'DELETE /v1/acl/token/:accessor', 'PUT /v1/acl/token/:accessor/clone',
    'PUT /v1/acl/policy', 'PUT /v1/acl/policy/:id', 'DELETE /v1/acl/policy/:id', 'PUT /v1/config', 'DELETE /v1/config/:kind', 'DELETE /v1/config/:kind/:name',
    'PUT /v1/connect/ca/configuration', 'PUT /v1/connect/intentions/exact', 'DELETE /v1/connect/intentions/exact', 'POST /v1/connect/intentions',
    'POST /v1/peering/token', 'POST /v1/peering/establish', 'DELETE /v1/peering/:name', 'POST /v1/agent/connect/authorize',
  ];
  it('covers every write route of the route table', () => {
    const actual = agent.agent.routes.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    for (const r of actual) assert.ok(names.includes(r), `fuzz list misses ${r}`);
  });

  for (const name of names) {
    it(`${name}: ${RUNS} runs`, async () => {
      const [method, path] = name.split(' ') as [string, string];
      let count = 0;
      await fc.assert(
        fc.asyncProperty(body, fc.array(segment, { minLength: 3, maxLength: 3 }), query, async (text, segs, q) => {
          let i = 0;
          const url = path.replace(/:[a-z]+/g, () => encodeURIComponent(segs[i++] ?? 'x')) + q;
          const before = await store.revision();
          const r = await agent.request(method, url, text === '' ? undefined : text, { 'X-Consul-Token': ROOT });
          count++;
          assert.ok(r.status < 500, `${method} ${url} → ${r.status} ${r.body.slice(0, 300)}\nbody: ${text.slice(0, 300)}`);
          if (r.status >= 400) {
            assert.ok(r.body.trim().length > 0, `${r.status} with an empty body`);
            assert.doesNotMatch(r.body, /\[object |native code|function \w*\(/, r.body.slice(0, 300));
            assert.equal(await store.revision(), before, `refused (${r.status} ${r.body.slice(0, 120)}) but stored something`);
          }
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), verbose: 1 },
      );
      assert.equal(count >= RUNS, true);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
    });
  }
});
