// Sidecar registration through the agent API: generated service, port allocation, upstream rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
let t: TestAgent;
before(async () => {
  t = await startTestAgent({ flags: { node: 'sc' } });
});
after(() => t.close());

describe('Connect.SidecarService', () => {
  it('registers <id>-sidecar-proxy with Consul’s defaults and a port from 21000', async () => {
    const r = await t.request('PUT', '/v1/agent/service/register', {
      Name: 'web',
      Port: 8080,
      Connect: { SidecarService: { Proxy: { Upstreams: [{ DestinationName: 'db', DestinationPeer: 'east', LocalBindPort: 9191 }] } } },
    });
    assert.equal(r.status, 200, r.body);
    const sc = (await t.request('GET', '/v1/agent/service/web-sidecar-proxy')).json<Obj>();
    assert.equal(sc.Kind, 'connect-proxy');
    assert.equal(sc.Service, 'web-sidecar-proxy');
    assert.equal(sc.Port, 21000);
    const proxy = sc.Proxy as Obj;
    assert.equal(proxy.DestinationServiceName, 'web');
    assert.equal(proxy.DestinationServiceID, 'web');
    assert.equal(proxy.LocalServiceAddress, '127.0.0.1');
    assert.equal(proxy.LocalServicePort, 8080);
    assert.deepEqual(proxy.Upstreams, [{ DestinationName: 'db', DestinationPeer: 'east', LocalBindPort: 9191, DestinationType: 'service', LocalBindAddress: '127.0.0.1' }]);
    const checks = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>();
    assert.equal(checks['service:web-sidecar-proxy:1']?.Name, 'Connect Sidecar Listening');
    const parent = (await t.request('GET', '/v1/agent/service/web')).json<Obj>();
    assert.ok(!('Connect' in parent) || !('SidecarService' in (parent.Connect as Obj)), 'the parent is stored without SidecarService');
    const conn = (await t.request('GET', '/v1/health/connect/web')).json<{ Service: Obj }[]>();
    assert.deepEqual(conn.map((e) => e.Service.ID), ['web-sidecar-proxy']);
  });

  it('keeps the port on re-registration and gives the next sidecar the next port', async () => {
    await t.request('PUT', '/v1/agent/service/register', { Name: 'web', Port: 8080, Connect: { SidecarService: {} } });
    assert.equal((await t.request('GET', '/v1/agent/service/web-sidecar-proxy')).json<Obj>().Port, 21000);
    await t.request('PUT', '/v1/agent/service/register', { Name: 'api', Port: 9000, Connect: { SidecarService: {} } });
    assert.equal((await t.request('GET', '/v1/agent/service/api-sidecar-proxy')).json<Obj>().Port, 21001);
  });

  it('removes the sidecar with its parent', async () => {
    await t.request('PUT', '/v1/agent/service/deregister/api');
    assert.equal((await t.request('GET', '/v1/agent/service/api-sidecar-proxy')).status, 404);
  });

  const cases: [string, Obj, RegExp][] = [
    ['a sidecar ID', { Name: 'x', Connect: { SidecarService: { ID: 'mine' } } }, /A SidecarService cannot specify an ID as this is managed by the agent/],
    ['a nested sidecar', { Name: 'x', Connect: { SidecarService: { Connect: { SidecarService: {} } } } }, /A SidecarService cannot have a nested SidecarService/],
    ['a gateway with a sidecar', { Name: 'gw', Kind: 'mesh-gateway', Port: 443, Connect: { SidecarService: {} } }, /A mesh-gateway cannot have a sidecar service defined/],
    ['peer and datacenter', { Name: 'x', Connect: { SidecarService: { Proxy: { Upstreams: [{ DestinationName: 'db', DestinationPeer: 'p', Datacenter: 'dc2', LocalBindPort: 1 }] } } } }, /upstream cannot specify both destination peer and datacenter/],
    ['mode none for a peered upstream', { Name: 'x', Connect: { SidecarService: { Proxy: { Upstreams: [{ DestinationName: 'db', DestinationPeer: 'p', LocalBindPort: 1, MeshGateway: { Mode: 'none' } }] } } } }, /cannot use mesh gateway mode "none"/],
    ['no local bind port', { Name: 'x', Connect: { SidecarService: { Proxy: { Upstreams: [{ DestinationName: 'db' }] } } } }, /upstream local bind port or local socket path must be defined and nonzero/],
    ['duplicate upstreams', { Name: 'x', Connect: { SidecarService: { Proxy: { Upstreams: [{ DestinationName: 'db', LocalBindPort: 1 }, { DestinationName: 'db', LocalBindPort: 2 }] } } } }, /upstreams cannot contain duplicates of \[type="service", name="db"/],
    ['a standalone proxy without a destination', { Name: 'p', Kind: 'connect-proxy', Port: 2000 }, /Proxy\.DestinationServiceName must be non-empty for Connect proxy services/],
    ['a standalone proxy without a port', { Name: 'p', Kind: 'connect-proxy', Proxy: { DestinationServiceName: 'web' } }, /Port or SocketPath must be set for a connect-proxy/],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name} with 400`, async () => {
      const r = await t.request('PUT', '/v1/agent/service/register', body);
      assert.equal(r.status, 400);
      assert.match(r.body, message);
    });
  }

  it('accepts a standalone connect-proxy registration', async () => {
    const r = await t.request('PUT', '/v1/agent/service/register', { Name: 'web-proxy', Kind: 'connect-proxy', Port: 21500, Proxy: { DestinationServiceName: 'web', Upstreams: [{ DestinationName: 'db', DestinationPeer: 'east', LocalBindPort: 7000, MeshGateway: { Mode: 'local' } }] } });
    assert.equal(r.status, 200, r.body);
  });
});

describe('POST /v1/agent/connect/authorize', () => {
  it('answers for local callers by intentions, and refuses unknown trust domains', async () => {
    const td = (await t.request('GET', '/v1/connect/ca/roots')).json<{ TrustDomain: string }>().TrustDomain;
    await t.request('PUT', '/v1/config', { Kind: 'service-intentions', Name: 'web', Sources: [{ Name: 'bad', Action: 'deny' }] });
    const ok = (await t.request('POST', '/v1/agent/connect/authorize', { Target: 'web', ClientCertURI: `spiffe://${td}/ns/default/dc/dc1/svc/good` })).json<Obj>();
    assert.equal(ok.Authorized, true, 'default allow (ACLs off)');
    const bad = (await t.request('POST', '/v1/agent/connect/authorize', { Target: 'web', ClientCertURI: `spiffe://${td}/ns/default/dc/dc1/svc/bad` })).json<Obj>();
    assert.equal(bad.Authorized, false);
    assert.match(String(bad.Reason), /Matched L4 intention/);
    const foreign = (await t.request('POST', '/v1/agent/connect/authorize', { Target: 'web', ClientCertURI: 'spiffe://other.consul/ns/default/dc/dc1/svc/good' })).json<Obj>();
    assert.equal(foreign.Authorized, false);
    assert.match(String(foreign.Reason), /unknown trust domain/);
  });
});

describe('connect and UI listings', () => {
  it('lists connect-capable instances in /v1/catalog/connect and summaries in /v1/internal/ui/services', async () => {
    await t.request('PUT', '/v1/agent/service/register', { Name: 'web', Port: 8080, Connect: { SidecarService: {} } });
    const c = (await t.request('GET', '/v1/catalog/connect/web')).json<Obj[]>();
    assert.deepEqual(c.map((s) => [s.ServiceName, s.ServiceKind]), [['web-sidecar-proxy', 'connect-proxy']]);
    const ui = (await t.request('GET', '/v1/internal/ui/services')).json<Obj[]>();
    const web = ui.find((s) => s.Name === 'web') as Obj;
    assert.equal(web.InstanceCount, 1);
    assert.equal(web.ConnectedWithProxy, true);
    assert.deepEqual((await t.request('GET', '/v1/internal/ui/services?peer=nobody')).json(), []);
  });
});
