// Transparent proxy in a real network namespace (issue 16): an app with no upstreams resolves
// backend.virtual.east.consul through DNS, connects to <vip>:80, and iptables (installed by
// `isthmus connect redirect-traffic -netns …`) hands the connection to its sidecar, which reads
// SO_ORIGINAL_DST and carries it through both mesh gateways to the backend in the peer cluster.
// Intentions still decide; the proxy's own traffic is not captured; non-mesh destinations pass
// through or are refused per the mesh entry. Skipped, with the reason, where the kernel refuses.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli, startAgent, waitFor, type AgentProcess } from '../support/agent-process.js';
import { createNetns, netnsUnavailable, type Netns } from '../support/netns.js';
import { freePort, startCli, type CliProcess } from '../support/processes.js';
import { originalDstUnavailable } from '../../src/proxy/tproxy/original-dst.js';

const PROXY_UID = 5995;
const APP_UID = 65534;
const skip = netnsUnavailable() ?? originalDstUnavailable();
if (skip) console.log(`# transparent-proxy e2e skipped: ${skip}`);

let ns: Netns;
let east: AgentProcess;
let west: AgentProcess;
const procs: CliProcess[] = [];
let backend: http.Server;
let echo: net.Server;
let echoPort = 0;

const put = async (a: AgentProcess, path: string, body: unknown): Promise<void> => {
  const r = await fetch(a.httpAddr + path, { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(r.status, 200, `${path}: ${await r.text()}`);
};

/** The app: resolve a name with west's DNS, connect to the answer on port 80, send one HTTP request. */
const APP = `
const dns = require('node:dns'); const net = require('node:net');
const [server, name, port] = process.argv.slice(1);
(async () => {
  let ip = name;
  if (!net.isIP(name)) { const r = new dns.promises.Resolver(); r.setServers([server]); ip = (await r.resolve4(name))[0]; }
  const s = net.connect({ host: ip, port: Number(port) });
  let body = ''; let done = false;
  const finish = (extra) => { if (done) return; done = true; console.log(JSON.stringify({ ip, body, ...extra })); s.destroy(); };
  s.setTimeout(8000, () => finish({ error: 'timeout' }));
  s.on('connect', () => s.write('GET /hello HTTP/1.1\\r\\nHost: backend\\r\\nConnection: close\\r\\n\\r\\n'));
  s.on('data', (d) => (body += d));
  s.on('error', (e) => finish({ error: e.code || e.message }));
  s.on('close', () => finish({}));
})().catch((e) => console.log(JSON.stringify({ error: e.message })));
`;

async function app(target: string, port: number, uid = APP_UID): Promise<{ ip?: string; body?: string; error?: string }> {
  const r = await ns.exec([process.execPath, '-e', APP, `${ns.nsIp}:${west.dnsPort}`, target, String(port)], uid);
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { ip?: string; body?: string; error?: string };
  } catch {
    return { error: `app failed: ${r.stderr || r.stdout}` };
  }
}

const intention = (action: 'allow' | 'deny') => put(east, '/v1/config', { Kind: 'service-intentions', Name: 'backend', Sources: [{ Name: 'client', Peer: 'west', Action: action }] });

before(async () => {
  if (skip) return;
  ns = createNetns('tp');
  backend = http.createServer((req, res) => res.end(`backend in east ${req.url}`));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  echo = net.createServer((s) => s.end(`echo from the host, you came from ${s.remoteAddress}\n`));
  await new Promise<void>((r) => echo.listen(0, ns.hostIp, r));
  echoPort = (echo.address() as net.AddressInfo).port;
  [east, west] = await Promise.all([
    startAgent(['--dev', '--node', 'a1', '--datacenter', 'east', '--bind', ns.hostIp]),
    startAgent(['--dev', '--node', 'b1', '--datacenter', 'west', '--bind', ns.nsIp], { prefix: ns.prefix() }),
  ]);
  const token = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', east.httpAddr]).stdout.trim();
  assert.equal(runCli(['peering', 'establish', '--name', 'east', '--peering-token', token, '--http-addr', west.httpAddr]).code, 0);
  await put(east, '/v1/agent/service/register', { Name: 'backend', Port: (backend.address() as net.AddressInfo).port, Connect: { SidecarService: { Address: ns.hostIp, Port: await freePort() } } });
  await intention('allow');
  procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `${ns.hostIp}:${await freePort()}`, '--http-addr', east.httpAddr], /Mesh gateway running/));
  procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--http-addr', east.httpAddr], /Sidecar proxy for "backend" running/));
  assert.equal(runCli(['services', 'export', '--name', 'backend', '--consumer-peers', 'west', '--http-addr', east.httpAddr]).code, 0);
  // West (inside the namespace): a local-mode gateway, and a transparent client with no upstreams.
  await put(west, '/v1/config', { Kind: 'proxy-defaults', Name: 'global', MeshGateway: { Mode: 'local' } });
  procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `${ns.nsIp}:20443`, '--log-level', 'debug', '--http-addr', west.httpAddr], /Mesh gateway running/, 20_000, ns.prefix()));
  await put(west, '/v1/agent/service/register', { Name: 'client', Port: 8080, Connect: { SidecarService: { Port: 20000, Proxy: { Mode: 'transparent' } } } });
  await waitFor(async () => (((await (await fetch(`${west.httpAddr}/v1/health/connect/backend?peer=east`)).json()) as unknown[]).length > 0 ? true : undefined), 'backend imported on west', 20_000);
  procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'client', '--http-addr', west.httpAddr], /Transparent outbound: 127\.0\.0\.1:15001/, 20_000, ns.prefix(PROXY_UID)));
});

after(async () => {
  if (skip) return;
  await Promise.all(procs.map((p) => p.stop()));
  await Promise.all([east?.stop(), west?.stop()]);
  backend?.close();
  echo?.close();
  ns?.destroy();
});

describe('transparent proxy in a network namespace', { skip }, () => {
  it('redirect-traffic refuses bad flags with Consul texts', () => {
    assert.match(runCli(['connect', 'redirect-traffic', '-proxy-id', 'x']).stderr, /-proxy-uid is required/);
    assert.match(runCli(['connect', 'redirect-traffic', '-proxy-uid', '1']).stderr, /either -proxy-id or -proxy-inbound-port are required/);
    assert.match(runCli(['connect', 'redirect-traffic', '-proxy-uid', '1', '-proxy-id', 'x', '-proxy-inbound-port', '1']).stderr, /cannot be provided together with -proxy-id/);
    const missing = runCli(['connect', 'redirect-traffic', '-proxy-uid', '1', '-proxy-id', 'nope', '-http-addr', west.httpAddr]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Failed to create configuration to apply traffic redirection rules: proxy service with ID "nope" not found/);
    assert.match(runCli(['connect', 'redirect-traffic', '-proxy-uid', '1', '-proxy-id', 'client', '-http-addr', west.httpAddr]).stderr, /service client is not a proxy service/);
  });

  it('installs the rules in the namespace from the proxy registration', async () => {
    // The agent's own HTTP and gRPC ports stay reachable from the host; every other inbound port goes to the sidecar.
    const grpcPort = west.grpcAddr.split(':').pop() as string;
    const r = runCli(['connect', 'redirect-traffic', '-proxy-id', 'client-sidecar-proxy', '-proxy-uid', String(PROXY_UID), '-exclude-uid', '0', '-exclude-inbound-port', String(west.port), '-exclude-inbound-port', grpcPort, '-netns', ns.path, '-http-addr', west.httpAddr]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Successfully applied traffic redirection rules/);
    const rules = (await ns.exec(['iptables', '-t', 'nat', '-S'])).stdout;
    console.log(`# iptables -t nat -S in ${ns.name}:\n${rules.replace(/^/gm, '#   ')}`);
    assert.match(rules, /-A CONSUL_PROXY_REDIRECT -p tcp -j REDIRECT --to-ports 15001/);
    assert.match(rules, /-A CONSUL_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-ports 20000/);
    assert.match(rules, new RegExp(`-A CONSUL_PROXY_OUTPUT -m owner --uid-owner ${PROXY_UID} -j RETURN`));
    assert.match(rules, new RegExp(`-A CONSUL_PROXY_INBOUND -p tcp -m tcp --dport ${west.port} -j RETURN`));
    // Plain TCP from outside to the app's port (nothing listens there) now lands on the sidecar's mTLS listener.
    const inbound = await new Promise<string>((resolve) => {
      const c = net.connect({ host: ns.nsIp, port: 8080 }, () => {
        c.destroy();
        resolve('accepted');
      });
      c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    assert.equal(inbound, 'accepted');
    assert.equal((await fetch(`${west.httpAddr}/v1/status/leader`)).status, 200, 'the excluded agent port is not redirected');
    // The host's own nat table is untouched.
    assert.doesNotMatch((await new Promise<string>((res) => import('node:child_process').then((cp) => cp.execFile('iptables', ['-t', 'nat', '-S'], (_e, out) => res(out))))), /CONSUL_PROXY_OUTPUT -m owner --uid-owner 5995/);
  });

  it('an app with no upstreams reaches backend.virtual.east.consul:80 through both gateways', async () => {
    const r = await waitFor(async () => {
      const x = await app('backend.virtual.east.consul', 80);
      return x.body?.includes('backend in east /hello') ? x : undefined;
    }, 'the backend through the transparent proxy', 30_000);
    assert.match(String(r.ip), /^2(4\d|5[0-5])\./, 'the name resolved to a virtual IP in 240.0.0.0/4');
    assert.match(procs[2]?.output() ?? '', /route=remote/, "west's gateway carried the call to east's");
  });

  it('an intention deny refuses it; allow serves again', async () => {
    await intention('deny');
    await waitFor(async () => ((await app('backend.virtual.east.consul', 80)).body?.includes('backend in east') ? undefined : true), 'denied', 20_000);
    assert.match(procs[1]?.output() ?? '', /connection denied by intentions/);
    await intention('allow');
    await waitFor(async () => ((await app('backend.virtual.east.consul', 80)).body?.includes('backend in east') ? true : undefined), 'allowed again', 20_000);
  });

  it('non-mesh destinations pass through by default and are refused with MeshDestinationsOnly; the proxy uid is never captured', async () => {
    const passed = await app(ns.hostIp, echoPort);
    assert.match(String(passed.body), new RegExp(`echo from the host, you came from ${ns.nsIp.replace(/\./g, '\\.')}`));
    await put(west, '/v1/config', { Kind: 'mesh', TransparentProxy: { MeshDestinationsOnly: true } });
    await waitFor(async () => ((await app(ns.hostIp, echoPort)).body?.includes('echo from the host') ? undefined : true), 'refused outside the mesh', 20_000);
    // The same connection made as the proxy's uid is not redirected at all.
    const own = await app(ns.hostIp, echoPort, PROXY_UID);
    assert.match(String(own.body), /echo from the host/);
    const sidecarLog = procs[3]?.output() ?? '';
    assert.match(sidecarLog, /refused a connection to a destination outside the mesh/);
    await put(west, '/v1/config', { Kind: 'mesh', TransparentProxy: { MeshDestinationsOnly: false } });
  });
});
