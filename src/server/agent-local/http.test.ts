// In-process tests of agent registration, TTL/HTTP/TCP checks run by the server, and reaping.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;

let t: TestAgent;
before(async () => {
  t = await startTestAgent({ flags: { dev: true, node: 'node1' } });
});
after(() => t.close());

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function checkStatus(id: string): Promise<string | undefined> {
  const checks = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>();
  return checks[id]?.Status as string | undefined;
}

describe('agent service registration', () => {
  it('registers a service on the agent node with a TTL check named the Consul way', async () => {
    const r = await t.request('PUT', '/v1/agent/service/register', { Name: 'api', Port: 9000, Tags: ['x'], Check: { TTL: '30s' } });
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
    const svc = (await t.request('GET', '/v1/agent/service/api')).json<Obj>();
    assert.equal(svc.Service, 'api');
    assert.equal(svc.Port, 9000);
    assert.equal(svc.Datacenter, 'dc1');
    assert.equal(typeof svc.ContentHash, 'string');
    const checks = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>();
    const c = checks['service:api'] as Obj;
    assert.equal(c.Name, "Service 'api' check");
    assert.equal(c.Status, 'critical', 'new checks start critical');
    assert.equal(c.Type, 'ttl');
    assert.deepEqual(c.Definition, { TTL: '30s' });
    const catalog = (await t.request('GET', '/v1/catalog/service/api')).json<Obj[]>();
    assert.equal(catalog[0]?.Node, 'node1');
  });

  it('moves a TTL check with pass/warn/fail and ?note, visible through health', async () => {
    assert.equal((await t.request('PUT', '/v1/agent/check/pass/service:api?note=all%20good')).status, 200);
    let h = (await t.request('GET', '/v1/health/service/api?passing')).json<{ Checks: Obj[] }[]>();
    assert.equal(h.length, 1);
    assert.equal(h[0]?.Checks.find((c) => c.CheckID === 'service:api')?.Output, 'all good');
    await t.request('PUT', '/v1/agent/check/warn/service:api');
    assert.equal(await checkStatus('service:api'), 'warning');
    await t.request('PUT', '/v1/agent/check/fail/service:api');
    h = (await t.request('GET', '/v1/health/service/api?passing')).json();
    assert.deepEqual(h, []);
    const upd = await t.request('PUT', '/v1/agent/check/update/service:api', { Status: 'passing', Output: 'ok' });
    assert.equal(upd.status, 200);
    assert.equal(await checkStatus('service:api'), 'passing');
    const bad = await t.request('PUT', '/v1/agent/check/update/service:api', { Status: 'fine' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body, "Invalid check status: 'fine'");
  });

  it('keeps a check status across re-registration of the same service', async () => {
    await t.request('PUT', '/v1/agent/check/pass/service:api');
    await t.request('PUT', '/v1/agent/service/register', { Name: 'api', Port: 9001, Check: { TTL: '30s' } });
    assert.equal(await checkStatus('service:api'), 'passing');
  });

  it('expires a TTL check to critical with Consul output', async () => {
    await t.request('PUT', '/v1/agent/service/register', { Name: 'short', Check: { CheckID: 'short-ttl', TTL: '200ms' } });
    await t.request('PUT', '/v1/agent/check/pass/short-ttl?note=last%20words');
    await waitFor(async () => ((await checkStatus('short-ttl')) === 'critical' ? true : undefined), 'TTL expiry');
    const c = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>()['short-ttl'] as Obj;
    assert.equal(c.Output, 'TTL expired (last output before timeout follows): last words');
  });

  it('follows redirects in HTTP checks unless DisableRedirects is set', async () => {
    const srv = http.createServer((req, res) => {
      if (req.url === '/old') res.writeHead(302, { Location: '/new' }).end();
      else res.writeHead(200).end('moved here');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      await t.request('PUT', '/v1/agent/check/register', { Name: 'redir', HTTP: `http://127.0.0.1:${port}/old`, Interval: '1s' });
      await t.request('PUT', '/v1/agent/check/register', { Name: 'noredir', HTTP: `http://127.0.0.1:${port}/old`, Interval: '1s', DisableRedirects: true });
      await waitFor(async () => ((await checkStatus('redir')) === 'passing' ? true : undefined), 'redirect followed');
      // A new check starts critical anyway: wait for the probe's own output to prove the 302 was seen.
      await waitFor(async () => {
        const c = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>().noredir;
        return c?.Status === 'critical' && /: 302 /.test(String(c.Output)) ? true : undefined;
      }, 'redirect not followed');
    } finally {
      srv.close();
      await t.request('PUT', '/v1/agent/check/deregister/redir');
      await t.request('PUT', '/v1/agent/check/deregister/noredir');
    }
  });

  it('runs HTTP checks: 2xx passing, 429 warning, 5xx critical', async () => {
    let code = 200;
    const srv = http.createServer((_req, res) => {
      res.writeHead(code);
      res.end('hello');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      await t.request('PUT', '/v1/agent/service/register', { Name: 'httpd', Port: port, Check: { HTTP: `http://127.0.0.1:${port}/health`, Interval: '1s' } });
      await waitFor(async () => ((await checkStatus('service:httpd')) === 'passing' ? true : undefined), 'HTTP passing');
      const c = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>()['service:httpd'] as Obj;
      assert.match(String(c.Output), /^HTTP GET http:\/\/127\.0\.0\.1:\d+\/health: 200 OK Output: hello$/);
      assert.equal(c.Interval, '1s');
      assert.equal(c.Timeout, '10s');
      code = 429;
      await waitFor(async () => ((await checkStatus('service:httpd')) === 'warning' ? true : undefined), 'HTTP warning');
      code = 503;
      await waitFor(async () => ((await checkStatus('service:httpd')) === 'critical' ? true : undefined), 'HTTP critical');
    } finally {
      srv.close();
      await t.request('PUT', '/v1/agent/service/deregister/httpd');
    }
  });

  it('runs TCP checks: passing while listening, critical once closed', async () => {
    const srv = net.createServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await t.request('PUT', '/v1/agent/service/register', { Name: 'tcpd', Port: port, Check: { TCP: `127.0.0.1:${port}`, Interval: '1s' } });
    await waitFor(async () => ((await checkStatus('service:tcpd')) === 'passing' ? true : undefined), 'TCP passing');
    await new Promise<void>((r) => srv.close(() => r()));
    await waitFor(async () => ((await checkStatus('service:tcpd')) === 'critical' ? true : undefined), 'TCP critical');
    const c = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>()['service:tcpd'] as Obj;
    assert.equal(c.Output, `dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('removes a service with its checks on deregister, and 404s an unknown ID', async () => {
    await t.request('PUT', '/v1/agent/service/deregister/tcpd');
    assert.equal(await checkStatus('service:tcpd'), undefined);
    const r = await t.request('PUT', '/v1/agent/service/deregister/ghost');
    assert.equal(r.status, 404);
    assert.equal(r.body, 'Unknown service ID "ghost". Ensure that the service ID is passed, not the service name.');
  });

  it('registers and deregisters standalone checks', async () => {
    assert.equal((await t.request('PUT', '/v1/agent/check/register', { Name: 'disk', TTL: '1m' })).status, 200);
    assert.equal(await checkStatus('disk'), 'critical');
    const missingSvc = await t.request('PUT', '/v1/agent/check/register', { Name: 'x', TTL: '1m', ServiceID: 'nope' });
    assert.equal(missingSvc.status, 404);
    assert.equal(missingSvc.body, 'ServiceID "nope" does not exist');
    const noName = await t.request('PUT', '/v1/agent/check/register', { TTL: '1m' });
    assert.equal(noName.body, 'Missing check name');
    assert.equal((await t.request('PUT', '/v1/agent/check/deregister/disk')).status, 200);
    const gone = await t.request('PUT', '/v1/agent/check/deregister/disk');
    assert.equal(gone.status, 404);
    assert.equal(gone.body, 'Unknown check ID "disk". Ensure that the check ID is passed, not the check name.');
  });

  it('answers 404 for TTL updates of unknown checks and 500 for non-TTL checks', async () => {
    const unknown = await t.request('PUT', '/v1/agent/check/pass/ghost');
    assert.equal(unknown.status, 404);
    await t.request('PUT', '/v1/agent/check/register', { Name: 'port', TCP: '127.0.0.1:1', Interval: '10s' });
    const notTtl = await t.request('PUT', '/v1/agent/check/pass/port');
    assert.equal(notTtl.status, 500);
    assert.equal(notTtl.body, 'CheckID "port" does not have associated TTL');
    await t.request('PUT', '/v1/agent/check/deregister/port');
  });

  it('reports aggregated health by service ID and name', async () => {
    await t.request('PUT', '/v1/agent/check/pass/service:api');
    const ok = await t.request('GET', '/v1/agent/health/service/id/api');
    assert.equal(ok.status, 200);
    assert.equal(ok.json<Obj>().AggregatedStatus, 'passing');
    await t.request('PUT', '/v1/agent/check/fail/service:api');
    const bad = await t.request('GET', '/v1/agent/health/service/name/api?format=text');
    assert.equal(bad.status, 503);
    assert.equal(bad.body, 'critical');
  });

  it('reports itself in /v1/agent/self and the status endpoints', async () => {
    const self = (await t.request('GET', '/v1/agent/self')).json<{ Config: Obj }>();
    assert.equal(self.Config.Datacenter, 'dc1');
    assert.equal(self.Config.NodeName, 'node1');
    assert.equal(typeof self.Config.Version, 'string');
    assert.equal((await t.request('GET', '/v1/status/leader')).json(), '127.0.0.1:8300');
    assert.deepEqual((await t.request('GET', '/v1/status/peers')).json(), ['127.0.0.1:8300']);
  });
});

describe('agent registration bad input', () => {
  const cases: [string, unknown, string][] = [
    ['no name', { Port: 1 }, 'Missing service name'],
    ['unspecified address', { Name: 'a', Address: '0.0.0.0' }, 'Invalid service address'],
    ['zero passing weight', { Name: 'a', Weights: { Passing: 0, Warning: 1 } }, 'Invalid Weights: Passing must be greater than 0'],
    ['reserved meta key', { Name: 'a', Meta: { 'consul-x': '1' } }, "Invalid Service Meta: Couldn't load metadata pair ('consul-x', '1'): Key prefix 'consul-' is reserved for internal use"],
    ['interval and TTL', { Name: 'a', Check: { TTL: '10s', Interval: '10s' } }, 'Invalid check: Interval and TTL cannot both be specified'],
    ['HTTP without interval', { Name: 'a', Check: { HTTP: 'http://x' } }, 'Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks'],
    ['bad check status', { Name: 'a', Check: { TTL: '10s', Status: 'meh' } }, "Status for checks must 'passing', 'warning', 'critical'"],
    ['bad duration', { Name: 'a', Check: { TTL: 'soon' } }, 'Request decode failed: time: invalid duration "soon"'],
    ['unknown key', { Name: 'a', Colour: 'red' }, 'Request decode failed: json: unknown field "Colour"'],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name} with 400 "${message}" and registers nothing`, async () => {
      const r = await t.request('PUT', '/v1/agent/service/register', body);
      assert.equal(r.status, 400);
      assert.equal(r.body, message);
      assert.equal((await t.request('GET', '/v1/agent/service/a')).status, 404);
    });
  }

  it('accepts snake_case keys as Consul does', async () => {
    const r = await t.request('PUT', '/v1/agent/service/register', { name: 'snake', enable_tag_override: true, tagged_addresses: { lan: { address: '10.1.1.1', port: 80 } } });
    assert.equal(r.status, 200, r.body);
    const svc = (await t.request('GET', '/v1/agent/service/snake')).json<Obj>();
    assert.equal(svc.EnableTagOverride, true);
    assert.deepEqual(svc.TaggedAddresses, { lan: { Address: '10.1.1.1', Port: 80 } });
  });
});

describe('reaping', () => {
  it('deregisters a service whose check stays critical past DeregisterCriticalServiceAfter', async () => {
    const r = await startTestAgent({ flags: { node: 'reaper' }, file: { check_reap_interval: '100ms', check_deregister_interval_min: '0s' } });
    try {
      await r.request('PUT', '/v1/agent/service/register', { Name: 'doomed', Check: { TTL: '10m', DeregisterCriticalServiceAfter: '300ms' } });
      await r.request('PUT', '/v1/agent/service/register', { Name: 'kept', Check: { TTL: '10m', DeregisterCriticalServiceAfter: '300ms', Status: 'passing' } });
      assert.equal((await r.request('GET', '/v1/agent/service/doomed')).status, 200);
      await waitFor(async () => ((await r.request('GET', '/v1/agent/service/doomed')).status === 404 ? true : undefined), 'reaping');
      assert.deepEqual((await r.request('GET', '/v1/catalog/service/doomed')).json(), []);
      assert.equal((await r.request('GET', '/v1/agent/service/kept')).status, 200, 'a passing service is kept');
    } finally {
      await r.close();
    }
  });

  it('raises DeregisterCriticalServiceAfter to the configured minimum', async () => {
    await t.request('PUT', '/v1/agent/service/register', { Name: 'minimum', Check: { TTL: '10m', DeregisterCriticalServiceAfter: '1s' } });
    const c = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>()['service:minimum'] as Obj;
    assert.deepEqual(c.Definition, { TTL: '10m0s', DeregisterCriticalServiceAfter: '1m0s' });
  });
});

describe('maintenance mode', () => {
  it('takes a service out of healthy results with a critical maintenance check, and back', async () => {
    await t.request('PUT', '/v1/agent/service/register', { Name: 'maint', Check: { CheckID: 'maint-ttl', TTL: '10m', Status: 'passing' } });
    assert.equal((await t.request('GET', '/v1/health/service/maint?passing')).json<Obj[]>().length, 1);
    assert.equal((await t.request('PUT', '/v1/agent/service/maintenance/maint?enable=true&reason=upgrading')).status, 200);
    const checks = (await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>();
    assert.equal(checks['_service_maintenance:maint']?.Status, 'critical');
    assert.equal(checks['_service_maintenance:maint']?.Notes, 'upgrading');
    assert.deepEqual((await t.request('GET', '/v1/health/service/maint?passing')).json(), []);
    await t.request('PUT', '/v1/agent/service/maintenance/maint?enable=false');
    assert.equal((await t.request('GET', '/v1/health/service/maint?passing')).json<Obj[]>().length, 1);
  });

  it('validates enable with Consul texts and 404s unknown services', async () => {
    assert.equal((await t.request('PUT', '/v1/agent/service/maintenance/maint')).body, 'Missing value for enable');
    assert.equal((await t.request('PUT', '/v1/agent/service/maintenance/maint?enable=maybe')).body, 'Invalid value for enable: "maybe"');
    assert.equal((await t.request('PUT', '/v1/agent/service/maintenance/ghost?enable=true')).status, 404);
    assert.equal((await t.request('PUT', '/v1/agent/maintenance?enable=true')).status, 200);
    assert.equal((await t.request('GET', '/v1/agent/checks')).json<Record<string, Obj>>()._node_maintenance?.Status, 'critical');
    await t.request('PUT', '/v1/agent/maintenance?enable=false');
  });
});
