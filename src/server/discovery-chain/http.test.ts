// In-process tests: virtual IPs (assignment, tagged addresses, manual VIPs, restart), router/splitter
// validation, and the compiled discovery chain.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t.close());

const put = (body: unknown) => t.request('PUT', '/v1/config', body);
const sidecar = (name: string, port: number, meta: Record<string, string> = {}) =>
  t.request('PUT', '/v1/agent/service/register', { Name: name, ID: `${name}-${port}`, Port: port, Meta: meta, Connect: { SidecarService: { Port: port + 10000 } } });

describe('virtual IPs', () => {
  it('gives a connect service a VIP from 240.0.0.0/4 on its proxies; plain services get none', async () => {
    assert.equal((await sidecar('web', 8080)).status, 200);
    assert.equal((await t.request('PUT', '/v1/agent/service/register', { Name: 'plain', Port: 1 })).status, 200);
    const proxies = (await t.request('GET', '/v1/catalog/service/web-sidecar-proxy')).json<Obj[]>();
    const tagged = proxies[0]?.ServiceTaggedAddresses as Record<string, { Address: string; Port: number }>;
    assert.equal(tagged['consul-virtual']?.Address, '240.0.0.1');
    assert.equal(tagged['consul-virtual']?.Port, 18080);
    const plain = (await t.request('GET', '/v1/catalog/service/plain')).json<Obj[]>();
    assert.equal(plain[0]?.ServiceTaggedAddresses, undefined);
    // A second instance of the same service shares the VIP; another service gets the next one.
    await sidecar('web', 8081);
    await sidecar('api', 9090);
    const all = (await t.request('GET', '/v1/health/service/web-sidecar-proxy')).json<{ Service: { TaggedAddresses: Obj } }[]>();
    assert.deepEqual(new Set(all.map((e) => (e.Service.TaggedAddresses['consul-virtual'] as Obj).Address)), new Set(['240.0.0.1']));
    const api = (await t.request('GET', '/v1/agent/service/api-9090-sidecar-proxy')).json<{ TaggedAddresses: Obj }>();
    assert.equal((api.TaggedAddresses['consul-virtual'] as Obj).Address, '240.0.0.2');
  });

  it('overwrites a client-supplied consul-virtual address', async () => {
    const r = await t.request('PUT', '/v1/agent/service/register', { Name: 'web-proxy-x', Kind: 'connect-proxy', Port: 3000, TaggedAddresses: { 'consul-virtual': { Address: '1.2.3.4', Port: 1 } }, Proxy: { DestinationServiceName: 'web' } });
    assert.equal(r.status, 200, r.body);
    const s = (await t.request('GET', '/v1/agent/service/web-proxy-x')).json<{ TaggedAddresses: Obj }>();
    assert.deepEqual(s.TaggedAddresses['consul-virtual'], { Address: '240.0.0.1', Port: 3000 });
  });

  it('gives resolver/router/splitter names a VIP (virtual services); manual VIPs move between services', async () => {
    assert.equal((await put({ Kind: 'service-resolver', Name: 'virt', Redirect: { Service: 'web' } })).status, 200);
    const chain = (await t.request('GET', '/v1/discovery-chain/virt')).json<{ Chain: Obj }>().Chain;
    assert.deepEqual(chain.AutoVirtualIPs, ['240.0.0.3']);
    assert.equal(chain.ManualVirtualIPs, null);
    const miss = (await t.request('PUT', '/v1/internal/service-virtual-ip', { Service: 'nothing', ManualVIPs: ['10.0.0.9'] })).json<Obj>();
    assert.deepEqual(miss, { Found: false, UnassignedFrom: [] });
    assert.deepEqual((await t.request('PUT', '/v1/internal/service-virtual-ip', { Service: 'web', ManualVIPs: ['10.96.0.12'] })).json(), { Found: true, UnassignedFrom: [] });
    const moved = (await t.request('PUT', '/v1/internal/service-virtual-ip', { Service: 'api', ManualVIPs: ['10.96.0.12', '10.96.0.13'] })).json<Obj>();
    assert.deepEqual(moved, { Found: true, UnassignedFrom: [{ ServiceName: { Name: 'web', Namespace: 'default', Partition: 'default' }, Peer: '' }] });
    const web = (await t.request('GET', '/v1/discovery-chain/web')).json<{ Chain: Obj }>().Chain;
    assert.equal(web.ManualVirtualIPs, null);
    const apiChain = (await t.request('GET', '/v1/discovery-chain/api')).json<{ Chain: Obj }>().Chain;
    assert.deepEqual(apiChain.ManualVirtualIPs, ['10.96.0.12', '10.96.0.13']);
    const bad = await t.request('PUT', '/v1/internal/service-virtual-ip', { Service: 'api', ManualVIPs: ['nope'] });
    assert.equal(bad.status, 400);
  });

  it('frees a VIP when the last instance goes and reuses it before advancing', async () => {
    await sidecar('temp', 7000);
    const vip = ((await t.request('GET', '/v1/discovery-chain/temp')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs as string[])[0];
    assert.equal((await t.request('PUT', '/v1/agent/service/deregister/temp-7000')).status, 200);
    for (let i = 0; i < 50; i++) {
      if ((await t.request('GET', '/v1/discovery-chain/temp')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs === null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await t.request('GET', '/v1/discovery-chain/temp')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs, null);
    await sidecar('temp2', 7100);
    assert.deepEqual((await t.request('GET', '/v1/discovery-chain/temp2')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs, [vip]);
  });
});

describe('virtual IPs survive a restart', () => {
  it('keeps the same VIP for a service across a restart of a durable server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isthmus-vip-'));
    try {
      let a = await startTestAgent({ store: new SqliteStore(join(dir, 'db')) });
      await a.request('PUT', '/v1/agent/service/register', { Name: 'one', Port: 1, Connect: { SidecarService: {} } });
      await a.request('PUT', '/v1/agent/service/register', { Name: 'two', Port: 2, Connect: { SidecarService: {} } });
      const before2 = (await a.request('GET', '/v1/discovery-chain/two')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs;
      await a.close();
      a = await startTestAgent({ store: new SqliteStore(join(dir, 'db')) });
      assert.deepEqual((await a.request('GET', '/v1/discovery-chain/two')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs, before2);
      await a.request('PUT', '/v1/agent/service/register', { Name: 'three', Port: 3, Connect: { SidecarService: {} } });
      assert.deepEqual((await a.request('GET', '/v1/discovery-chain/three')).json<{ Chain: Obj }>().Chain.AutoVirtualIPs, ['240.0.0.3']);
      await a.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('service-router and service-splitter', () => {
  it('refuses routers and splitters on a tcp chain with Consul text (500)', async () => {
    const r = await put({ Kind: 'service-router', Name: 'tcpsvc', Routes: [{ Match: { HTTP: { PathPrefix: '/x' } } }] });
    assert.equal(r.status, 500);
    assert.match(r.body, /discovery chain "tcpsvc" uses a protocol "tcp" that does not permit advanced routing or splitting behavior/);
  });

  it('validates routes and splits with Consul texts', async () => {
    await put({ Kind: 'service-defaults', Name: 'front', Protocol: 'http' });
    const cases: [Obj, RegExp][] = [
      [{ Routes: [{ Match: { HTTP: { PathExact: 'x' } } }] }, /Route\[0\] PathExact doesn't start with '\/': "x"/],
      [{ Routes: [{ Match: { HTTP: { PathExact: '/a', PathPrefix: '/b' } } }] }, /Route\[0\] should only contain at most one of PathExact, PathPrefix, or PathRegex/],
      [{ Routes: [{ Match: { HTTP: { Header: [{ Exact: 'a' }] } } }] }, /Route\[0\] Header\[0\] missing required Name field/],
      [{ Routes: [{ Match: { HTTP: { Methods: ['FETCH'] } } }] }, /Route\[0\] Methods contains an invalid method "FETCH"/],
      [{ Routes: [{ Match: { HTTP: { Methods: ['GET', 'GET'] } } }] }, /Route\[0\] Methods contains "GET" more than once/],
      [{ Routes: [{ Match: { HTTP: { PathRegex: '/a' } }, Destination: { PrefixRewrite: '/' } }] }, /Route\[0\] cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix/],
    ];
    for (const [body, re] of cases) {
      const r = await put({ Kind: 'service-router', Name: 'front', ...body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body, re);
    }
    const s1 = await put({ Kind: 'service-splitter', Name: 'front', Splits: [{ Weight: 90 }, { Weight: 5, Service: 'x' }] });
    assert.equal(s1.status, 400);
    assert.match(s1.body, /the sum of all split weights must be 100, not 95.000000/);
    assert.match((await put({ Kind: 'service-splitter', Name: 'front', Splits: [] })).body, /no splits configured/);
    assert.match((await put({ Kind: 'service-splitter', Name: 'front', Splits: [{ Weight: 50 }, { Weight: 50 }] })).body, /split destination occurs more than once: service="front", subset="", namespace="default", partition="default"/);
  });

  it('refuses a Peer on a router or splitter, while a resolver that redirects to a peer works', async () => {
    await put({ Kind: 'service-defaults', Name: 'front', Protocol: 'http' });
    const r = await put({ Kind: 'service-router', Name: 'front', Routes: [{ Match: { HTTP: { PathPrefix: '/v2' } }, Destination: { Service: 'backend', Peer: 'east' } }] });
    assert.equal(r.status, 400);
    assert.match(r.body, /Request decoding failed: .*invalid config key "Routes\[0\]\.Destination\.Peer"/s);
    const s = await put({ Kind: 'service-splitter', Name: 'front', Splits: [{ Weight: 100, Service: 'backend', Peer: 'east' }] });
    assert.equal(s.status, 400);
    assert.match(s.body, /invalid config key "Splits\[0\]\.Peer"/);
    // The documented pattern: a local name, http, whose resolver redirects to the peer.
    assert.equal((await put({ Kind: 'service-defaults', Name: 'backend-v2', Protocol: 'http' })).status, 200);
    assert.equal((await put({ Kind: 'service-resolver', Name: 'backend-v2', Redirect: { Service: 'backend', Peer: 'east' } })).status, 200);
    assert.equal((await put({ Kind: 'service-defaults', Name: 'backend', Protocol: 'http' })).status, 200);
    assert.equal((await put({ Kind: 'service-resolver', Name: 'backend', Subsets: { v1: { Filter: 'Service.Meta.version == v1' } } })).status, 200);
    const ok = await put({
      Kind: 'service-router',
      Name: 'front',
      Routes: [
        { Match: { HTTP: { PathPrefix: '/v2' } }, Destination: { Service: 'backend-v2' } },
        { Match: { HTTP: { Header: [{ Name: 'x-version', Exact: '1' }] } }, Destination: { Service: 'backend', ServiceSubset: 'v1' } },
      ],
    });
    assert.equal(ok.status, 200, ok.body);
    const chain = (await t.request('GET', '/v1/discovery-chain/front')).json<{ Chain: Obj }>().Chain;
    assert.equal(chain.Protocol, 'http');
    assert.equal(chain.StartNode, 'router:front.default.default');
    const nodes = chain.Nodes as Record<string, Obj>;
    const routes = nodes['router:front.default.default']?.Routes as Obj[];
    assert.equal(routes.length, 3);
    assert.equal(routes[0]?.NextNode, 'resolver:backend.default.default.external.east');
    assert.equal(routes[1]?.NextNode, 'resolver:v1.backend.default.default.dc1');
    assert.deepEqual((routes[2]?.Definition as Obj).Match, { HTTP: { PathPrefix: '/' } });
    const targets = chain.Targets as Record<string, Obj>;
    const peer = targets['backend.default.default.external.east'] as Obj;
    assert.equal(peer.Peer, 'east');
    assert.equal(peer.Datacenter, '');
    assert.equal(peer.SNI, '');
    const v1 = targets['v1.backend.default.default.dc1'] as Obj;
    assert.deepEqual(v1.Subset, { Filter: 'Service.Meta.version == v1' });
    assert.match(String(v1.SNI), /^v1\.backend\.default\.dc1\.internal\.[0-9a-f-]+\.consul$/);
    assert.deepEqual(v1.TransparentProxy, {});
    assert.equal((nodes['resolver:v1.backend.default.default.dc1']?.Resolver as Obj).ConnectTimeout, '5s');
  });

  it('flattens nested splits and multiplies weights; inconsistent protocols are refused', async () => {
    await put({ Kind: 'service-defaults', Name: 'pay', Protocol: 'http' });
    await put({ Kind: 'service-defaults', Name: 'pay-v2', Protocol: 'http' });
    await put({ Kind: 'service-resolver', Name: 'pay', Subsets: { a: { Filter: 'Service.Meta.v == a' }, b: { Filter: 'Service.Meta.v == b' } } });
    assert.equal((await put({ Kind: 'service-splitter', Name: 'pay-v2', Splits: [{ Weight: 50, Service: 'pay', ServiceSubset: 'a' }, { Weight: 50, Service: 'pay', ServiceSubset: 'b' }] })).status, 200);
    const r = await put({ Kind: 'service-splitter', Name: 'pay', Splits: [{ Weight: 90, ServiceSubset: 'a' }, { Weight: 10, Service: 'pay-v2' }] });
    assert.equal(r.status, 200, r.body);
    const chain = (await t.request('GET', '/v1/discovery-chain/pay')).json<{ Chain: Obj }>().Chain;
    const splits = (chain.Nodes as Record<string, Obj>)['splitter:pay.default.default']?.Splits as Obj[];
    assert.deepEqual(splits.map((s) => [s.Weight, s.NextNode]), [
      [90, 'resolver:a.pay.default.default.dc1'],
      [5, 'resolver:a.pay.default.default.dc1'],
      [5, 'resolver:b.pay.default.default.dc1'],
    ]);
    const bad = await put({ Kind: 'service-defaults', Name: 'pay-v2', Protocol: 'tcp' });
    assert.equal(bad.status, 500);
    assert.match(bad.body, /discovery chain "pay(-v2)?" uses (a protocol "tcp" that does not permit advanced routing or splitting behavior|inconsistent protocols; service "pay-v2" has "tcp" which is not "http")/);
  });

  it('compiles a default chain; detects circular redirects and unknown subsets', async () => {
    const plain = (await t.request('GET', '/v1/discovery-chain/lonely')).json<{ Chain: Obj }>().Chain;
    assert.equal(plain.Default, true);
    assert.equal(plain.Protocol, 'tcp');
    assert.equal(plain.StartNode, 'resolver:lonely.default.default.dc1');
    assert.equal((await t.request('GET', '/v1/discovery-chain/')).status, 400);
    await put({ Kind: 'service-resolver', Name: 'ca', Redirect: { Service: 'cb' } });
    await put({ Kind: 'service-resolver', Name: 'cb', Redirect: { Service: 'ca' } });
    const loop = await t.request('GET', '/v1/discovery-chain/ca');
    assert.equal(loop.status, 500);
    assert.match(loop.body, /detected circular resolver redirect: \[ca -> cb -> ca\]/);
    const post = await t.request('POST', '/v1/discovery-chain/lonely', { OverrideProtocol: 'http', OverrideConnectTimeout: '7s' });
    const pc = post.json<{ Chain: Obj }>().Chain;
    assert.match(String(pc.CustomizationHash), /^[0-9a-f]{8}$/);
    assert.equal(pc.Protocol, 'http');
    assert.equal((await t.request('POST', '/v1/discovery-chain/lonely', { OverrideMeshGateway: { Mode: 'bogus' } })).body.trim(), 'Invalid OverrideMeshGateway.Mode parameter');
  });

  it('L7 intention permissions: validated, and refused on a tcp destination', async () => {
    const tcp = await put({ Kind: 'service-intentions', Name: 'tcponly', Sources: [{ Name: 'web', Permissions: [{ Action: 'deny', HTTP: { PathPrefix: '/admin' } }] }] });
    assert.equal(tcp.status, 500);
    assert.match(tcp.body, /service "tcponly" has protocol "tcp", which is incompatible with L7 intentions permissions/);
    await put({ Kind: 'service-defaults', Name: 'httpd', Protocol: 'http' });
    const bad = await put({ Kind: 'service-intentions', Name: 'httpd', Sources: [{ Name: 'web', Permissions: [{ Action: 'deny', HTTP: { PathPrefix: 'admin' } }] }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /Sources\[0\]\.Permissions\[0\]\.HTTP\.PathPrefix doesn't start with '\/': "admin"/);
    const both = await put({ Kind: 'service-intentions', Name: 'httpd', Sources: [{ Name: 'web', Action: 'allow', Permissions: [{ Action: 'deny', HTTP: { PathPrefix: '/a' } }] }] });
    assert.match(both.body, /Sources\[0\]\.Action must be omitted if Permissions are specified/);
    const ok = await put({ Kind: 'service-intentions', Name: 'httpd', Sources: [{ Name: 'web', Permissions: [{ Action: 'deny', HTTP: { PathPrefix: '/admin' } }, { Action: 'allow', HTTP: { PathPrefix: '/' } }] }] });
    assert.equal(ok.status, 200, ok.body);
    const back = await put({ Kind: 'service-defaults', Name: 'httpd', Protocol: 'tcp' });
    assert.equal(back.status, 500);
  });
});
