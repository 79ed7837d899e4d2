// L7 traffic management across a peering (issue 16): a west frontend's HTTP-aware sidecar routes by
// path (/v2 → a local name whose resolver redirects to east's backend, through both gateways), by
// header (→ a local subset), and splits 90/10 between local subsets; east's sidecar enforces an L7
// intention by path (403 "RBAC: access denied").
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, waitFor, type AgentProcess } from '../support/agent-process.js';
import { freePort, startCli, type CliProcess } from '../support/processes.js';

let A: AgentProcess; // east: exports backend (v2)
let B: AgentProcess; // west: frontend, backend v1 + canary
const procs: CliProcess[] = [];
const apps: http.Server[] = [];
let upstreamPort = 0;

const put = async (a: AgentProcess, path: string, body: unknown): Promise<void> => {
  const r = await fetch(a.httpAddr + path, { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(r.status, 200, `${path}: ${await r.text()}`);
};

async function app(name: string): Promise<number> {
  const srv = http.createServer((req, res) => res.end(`${name} ${req.url}`));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  apps.push(srv);
  return (srv.address() as net.AddressInfo).port;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: upstreamPort, path, headers, agent, timeout: 10_000 }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

before(async () => {
  [A, B] = await Promise.all([startAgent(['--dev', '--node', 'a1', '--datacenter', 'east']), startAgent(['--dev', '--node', 'b1', '--datacenter', 'west'])]);
  const token = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', A.httpAddr]).stdout.trim();
  assert.equal(runCli(['peering', 'establish', '--name', 'east', '--peering-token', token, '--http-addr', B.httpAddr]).code, 0);
  // East: backend v2 behind an L7 intention for west's frontend.
  await put(A, '/v1/config', { Kind: 'service-defaults', Name: 'backend', Protocol: 'http' });
  await put(A, '/v1/agent/service/register', { Name: 'backend', Port: await app('v2-east'), Meta: { version: 'v2' }, Connect: { SidecarService: { Port: await freePort() } } });
  await put(A, '/v1/config', {
    Kind: 'service-intentions',
    Name: 'backend',
    Sources: [{ Name: 'frontend', Peer: 'west', Permissions: [{ Action: 'deny', HTTP: { PathPrefix: '/v2/admin' } }, { Action: 'allow', HTTP: { PathPrefix: '/' } }] }],
  });
  procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${await freePort()}`, '--http-addr', A.httpAddr], /Mesh gateway running/));
  procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${await freePort()}`, '--log-level', 'debug', '--http-addr', B.httpAddr], /Mesh gateway running/));
  procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--refresh-interval-ms', '500', '--http-addr', A.httpAddr], /Sidecar proxy for "backend" running/));
  assert.equal(runCli(['services', 'export', '--name', 'backend', '--consumer-peers', 'west', '--http-addr', A.httpAddr]).code, 0);
  // West: two local subsets, a local name that reaches east through a resolver, router and splitter.
  await put(B, '/v1/agent/service/register', { Name: 'backend', ID: 'backend-v1', Port: await app('v1'), Meta: { version: 'v1' }, Connect: { SidecarService: { Port: await freePort() } } });
  await put(B, '/v1/agent/service/register', { Name: 'backend', ID: 'backend-canary', Port: await app('canary'), Meta: { version: 'canary' }, Connect: { SidecarService: { Port: await freePort() } } });
  await put(B, '/v1/config', { Kind: 'proxy-defaults', Name: 'global', Config: { protocol: 'http' }, MeshGateway: { Mode: 'local' } });
  await put(B, '/v1/config', { Kind: 'service-resolver', Name: 'backend', Subsets: { v1: { Filter: 'Service.Meta.version == v1' }, canary: { Filter: 'Service.Meta.version == canary' } } });
  await put(B, '/v1/config', { Kind: 'service-resolver', Name: 'backend-east', Redirect: { Service: 'backend', Peer: 'east' } });
  await put(B, '/v1/config', { Kind: 'service-splitter', Name: 'backend', Splits: [{ Weight: 90, ServiceSubset: 'v1' }, { Weight: 10, ServiceSubset: 'canary' }] });
  await put(B, '/v1/config', {
    Kind: 'service-router',
    Name: 'backend',
    Routes: [
      { Match: { HTTP: { PathPrefix: '/v2' } }, Destination: { Service: 'backend-east' } },
      { Match: { HTTP: { Header: [{ Name: 'x-canary', Exact: '1' }] } }, Destination: { ServiceSubset: 'canary' } },
    ],
  });
  upstreamPort = await freePort();
  await put(B, '/v1/agent/service/register', { Name: 'frontend', Port: 1, Connect: { SidecarService: { Port: await freePort(), Proxy: { Upstreams: [{ DestinationName: 'backend', LocalBindPort: upstreamPort }] } } } });
  await waitFor(async () => (((await (await fetch(`${B.httpAddr}/v1/health/connect/backend?peer=east`)).json()) as unknown[]).length > 0 ? true : undefined), 'backend imported on west');
  for (const id of ['backend-v1', 'backend-canary']) {
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', id, '--refresh-interval-ms', '500', '--http-addr', B.httpAddr], new RegExp(`Sidecar proxy for "${id}" running`)));
  }
  procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'frontend', '--refresh-interval-ms', '500', '--http-addr', B.httpAddr], /Sidecar proxy for "frontend" running/));
  // Both local subsets serve once their sidecars' health checks pass.
  await waitFor(async () => ((await get('/warm', { 'x-canary': '1' })).body === 'canary /warm' ? true : undefined), 'canary subset serving', 30_000);
  await waitFor(async () => ((await get('/warm')).body === 'v1 /warm' ? true : undefined), 'v1 subset serving', 30_000);
});

after(async () => {
  agent.destroy();
  await Promise.all(procs.map((p) => p.stop()));
  for (const s of apps) s.close();
  await Promise.all([A.stop(), B.stop()]);
});

describe('L7 routing, splitting and intentions across a peering', () => {
  it('routes /v2 through a resolver to the backend served by the peer (through both gateways)', async () => {
    const r = await waitFor(async () => {
      const x = await get('/v2/hello');
      return x.status === 200 ? x : undefined;
    }, '/v2 through the peer', 20_000);
    assert.equal(r.body, 'v2-east /v2/hello');
    assert.match(procs[1]?.output() ?? '', /route=remote/, "west's own gateway carried the call (local mode)");
  });

  it('routes by header to a subset', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await get('/x', { 'x-canary': '1' })).body, 'canary /x');
  });

  it('splits 90/10 between subsets within ±3 % over 5,000 requests', async () => {
    let v1 = 0;
    let canary = 0;
    const total = 5_000;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        next++;
        const r = await get('/split');
        if (r.body === 'v1 /split') v1++;
        else if (r.body === 'canary /split') canary++;
        else assert.fail(`unexpected answer ${r.status} ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(v1 + canary, total);
    const share = v1 / total;
    assert.ok(Math.abs(share - 0.9) <= 0.03, `v1 share ${share} (v1=${v1}, canary=${canary})`);
  });

  it('enforces an L7 intention by path at the destination sidecar: 403 RBAC: access denied', async () => {
    const denied = await get('/v2/admin/users');
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'RBAC: access denied');
    assert.equal((await get('/v2/ok')).body, 'v2-east /v2/ok');
  });

  it('shows the compiled chain', async () => {
    const { Chain } = (await (await fetch(`${B.httpAddr}/v1/discovery-chain/backend`)).json()) as { Chain: Record<string, unknown> };
    assert.equal(Chain.StartNode, 'router:backend.default.default');
    assert.ok((Chain.Targets as Record<string, unknown>)['backend.default.default.external.east']);
  });
});
