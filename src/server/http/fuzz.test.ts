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
    assert.ok(writes.length >= 30, `${writes.length} write routes`);
  });

  // Every write route of the route table, read when the test runs: a new endpoint is fuzzed without
  // touching this file.
  it(`every write route: ${RUNS} runs each`, async (t) => {
    const writes = agent.agent.routes.filter((r) => r.method !== 'GET');
    for (const route of writes) {
      await t.test(`${route.method} ${route.path}`, async () => {
        let count = 0;
        await fc.assert(
          fc.asyncProperty(body, fc.array(segment, { minLength: 3, maxLength: 3 }), query, async (text, segs, q) => {
            let i = 0;
            const url = route.path.replace(/:[a-zA-Z]+|\*/g, () => encodeURIComponent(segs[i++] ?? 'x')) + q;
            const before = await store.revision();
            const r = await agent.request(route.method, url, text === '' ? undefined : text, { 'X-Consul-Token': ROOT });
            count++;
            // The one 5xx Consul documents for a write: a body naming a datacenter it cannot reach.
            const unreachableDc = r.status === 500 && r.body === 'No path to datacenter';
            assert.ok(r.status < 500 || unreachableDc, `${route.method} ${url} → ${r.status} ${r.body.slice(0, 300)}\nbody: ${text.slice(0, 300)}`);
            if (r.status >= 400) {
              assert.ok(r.body.trim().length > 0, `${r.status} with an empty body`);
              assert.doesNotMatch(r.body, /\[object |native code|function \w*\(/, r.body.slice(0, 300));
              assert.equal(await store.revision(), before, `refused (${r.status} ${r.body.slice(0, 120)}) but stored something`);
            }
          }),
          { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), verbose: 1 },
        );
        assert.ok(count >= RUNS);
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
      });
    }
  });
});

describe('fuzz: ?filter= expressions on read endpoints', () => {
  const piece = fc.oneof(
    fc.constantFrom('ServiceName', 'Service', 'Meta.env', 'Meta["a b"]', 'Tags', 'Checks.Status', 'Node', 'toString', '__proto__.x', 'constructor'),
    fc.constantFrom('==', '!=', 'is empty', 'is not empty', 'in', 'not in', 'contains', 'matches', 'not matches', 'and', 'or', 'not', '(', ')'),
    fc.constantFrom('"web"', '"\\d"', '"(a+)+$"', '`x`', '"\\\\w+"', '"["', 'web', '""', '"\\u0000"'),
    fc.string({ maxLength: 8 }),
  );
  const expr = fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join(' '));
  for (const path of ['/v1/agent/services', '/v1/agent/checks', '/v1/catalog/service/web', '/v1/health/service/web', '/v1/catalog/nodes', '/v1/health/state/any']) {
    it(`GET ${path}?filter=…: ${RUNS * 2} runs`, async () => {
      await fc.assert(
        fc.asyncProperty(expr, async (f) => {
          const r = await agent.request('GET', `${path}?filter=${encodeURIComponent(f)}`, undefined, { 'X-Consul-Token': ROOT });
          assert.ok(r.status < 500, `${f} → ${r.status} ${r.body.slice(0, 200)}`);
          if (r.status >= 400) assert.match(r.body, /^Failed to create boolean expression evaluator: /, `${f} → ${r.body.slice(0, 200)}`);
        }),
        { numRuns: RUNS * 2, ...(SEED === undefined ? {} : { seed: SEED }), verbose: 1 },
      );
    });
  }
});
