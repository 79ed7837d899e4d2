// L7 and transparent-proxy benchmarks (issue 16), each beside a baseline measured in the same run:
//  1. HTTP through two L7 sidecars (router at the source, L7 intention at the destination, mTLS
//     between) vs a bare Node HTTP proxy hop doing the same forwarding — wrk, keep-alive.
//  2. Transparent outbound connection setup (iptables REDIRECT + SO_ORIGINAL_DST + VIP lookup) vs
//     the same proxy's explicit upstream listener — in a network namespace (skipped where refused).
import { execFile } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { promisify } from 'node:util';
import { runCli, startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { createNetns, netnsUnavailable } from '../test/support/netns.js';
import { freePort, startCli, type CliProcess } from '../test/support/processes.js';
import { originalDstUnavailable } from '../src/proxy/tproxy/original-dst.js';
import { fmt, printTable } from './stats.js';

const run = promisify(execFile);

async function wrk(port: number, seconds: number): Promise<{ rps: number; p50ms: number; p99ms: number }> {
  const { stdout } = await run('wrk', ['-t2', '-c32', `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/bench`], { timeout: (seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const ms = (label: string): number => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  return { rps, p50ms: ms('50'), p99ms: ms('99') };
}

async function listen(srv: http.Server): Promise<number> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as net.AddressInfo).port;
}

async function waitOk(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => http.get({ host: '127.0.0.1', port, path: '/bench', agent: false }, (res) => r(res.statusCode === 200)).on('error', () => r(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered 200 on port ${port}`);
}

export async function benchL7Http(quick: boolean): Promise<Record<string, number>> {
  const seconds = quick ? 3 : 8;
  const app = http.createServer((_q, s) => s.end('ok'));
  const appPort = await listen(app);
  // Baseline: a bare Node HTTP proxy hop (keep-alive agent) doing the same forwarding.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const bare = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: appPort, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  const barePort = await listen(bare);
  const A = await startAgent(['--dev', '--node', 'l7', '--log-level', 'warn']);
  const procs: CliProcess[] = [];
  const put = (path: string, body: unknown) => fetch(A.httpAddr + path, { method: 'PUT', body: JSON.stringify(body) });
  try {
    await put('/v1/config', { Kind: 'proxy-defaults', Name: 'global', Config: { protocol: 'http' } });
    await put('/v1/config', { Kind: 'service-router', Name: 'backend', Routes: [{ Match: { HTTP: { PathPrefix: '/admin' } }, Destination: { Service: 'backend' } }] });
    await put('/v1/config', { Kind: 'service-intentions', Name: 'backend', Sources: [{ Name: 'frontend', Permissions: [{ Action: 'deny', HTTP: { PathPrefix: '/admin' } }, { Action: 'allow', HTTP: { PathPrefix: '/' } }] }] });
    await put('/v1/agent/service/register', { Name: 'backend', Port: appPort, Connect: { SidecarService: { Port: await freePort() } } });
    const upstream = await freePort();
    await put('/v1/agent/service/register', { Name: 'frontend', Port: 1, Connect: { SidecarService: { Port: await freePort(), Proxy: { Upstreams: [{ DestinationName: 'backend', LocalBindPort: upstream }] } } } });
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--log-level', 'warn', '--http-addr', A.httpAddr], /running/));
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'frontend', '--log-level', 'warn', '--http-addr', A.httpAddr], /running/));
    await waitOk(upstream);
    await waitOk(barePort);
    await wrk(upstream, 1);
    const base = await wrk(barePort, seconds);
    const mesh = await wrk(upstream, seconds);
    printTable('HTTP through two L7 sidecars vs a bare Node HTTP proxy hop (wrk -t2 -c32)', ['path', 'req/s', 'p50 ms', 'p99 ms'], [
      ['bare Node HTTP proxy hop (baseline)', fmt(base.rps, 0), fmt(base.p50ms, 2), fmt(base.p99ms, 2)],
      ['app → L7 sidecar → mTLS → L7 sidecar → app', fmt(mesh.rps, 0), fmt(mesh.p50ms, 2), fmt(mesh.p99ms, 2)],
    ]);
    console.log(`ratios vs the bare hop — req/s ×${fmt(mesh.rps / base.rps, 2)}, p50 ×${fmt(mesh.p50ms / base.p50ms, 2)}`);
    return { l7BareRps: base.rps, l7MeshRps: mesh.rps, l7RpsRatio: mesh.rps / base.rps, l7BareP50ms: base.p50ms, l7MeshP50ms: mesh.p50ms };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    agent.destroy();
    app.close();
    bare.close();
    await A.stop();
  }
}

/** Runs inside the namespace as an application user: connections per second to two destinations. */
const LOAD = `
const net = require('node:net');
const [a, b, seconds] = process.argv.slice(1);
const msg = Buffer.alloc(64, 120);
async function cps(target) {
  const [host, port] = target.split(':');
  let n = 0, errors = 0; const end = Date.now() + Number(seconds) * 1000;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (Date.now() < end) {
      await new Promise((resolve) => {
        const s = net.connect({ host, port: Number(port) }, () => s.write(msg));
        let got = 0;
        s.on('data', (d) => { got += d.length; if (got >= msg.length) { n++; s.destroy(); resolve(); } });
        s.on('error', () => { errors++; s.destroy(); resolve(); });
        s.on('close', () => { if (got < msg.length) errors++; resolve(); });
        s.setTimeout(5000, () => { errors++; s.destroy(); resolve(); });
      });
    }
  }));
  return { cps: n / Number(seconds), errors };
}
(async () => { await cps(a); const explicit = await cps(a); const transparent = await cps(b); console.log(JSON.stringify({ explicit, transparent })); })();
`;

const ECHO = `require('node:net').createServer((s) => { s.on('data', (d) => s.write(d)); s.on('error', () => s.destroy()); }).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('echo ready'));`;

export async function benchTransparent(quick: boolean): Promise<Record<string, number>> {
  const why = netnsUnavailable() ?? originalDstUnavailable();
  if (why) {
    console.log(`\n## Transparent outbound connection setup: skipped (${why})`);
    return {};
  }
  const seconds = quick ? 2 : 5;
  const ns = createNetns('bench');
  const procs: CliProcess[] = [];
  let A: AgentProcess | undefined;
  try {
    A = await startAgent(['--dev', '--node', 'tp', '--log-level', 'warn', '--bind', ns.nsIp], { prefix: ns.prefix() });
    const put = (path: string, body: unknown) => fetch(A!.httpAddr + path, { method: 'PUT', body: JSON.stringify(body) });
    const echoPort = 9000;
    procs.push(await startCliRaw(ns.prefix(), ['-e', ECHO, String(echoPort)], /echo ready/));
    await put('/v1/agent/service/register', { Name: 'backend', Port: echoPort, Connect: { SidecarService: { Address: ns.nsIp, Port: 21000 } } });
    await put('/v1/agent/service/register', { Name: 'client', Port: 8080, Connect: { SidecarService: { Port: 20000, Proxy: { Mode: 'transparent', Upstreams: [{ DestinationName: 'backend', LocalBindPort: 7000 }] } } } });
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--log-level', 'warn', '--http-addr', A.httpAddr], /running/, 20_000, ns.prefix()));
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'client', '--log-level', 'warn', '--http-addr', A.httpAddr], /Transparent outbound/, 20_000, ns.prefix(5995)));
    const r = runCli(['connect', 'redirect-traffic', '-proxy-id', 'client-sidecar-proxy', '-proxy-uid', '5995', '-exclude-uid', '0', '-exclude-inbound-port', String(A.port), '-netns', ns.path, '-http-addr', A.httpAddr]);
    if (r.code !== 0) throw new Error(r.stderr);
    const proxy = (await (await fetch(`${A.httpAddr}/v1/catalog/service/backend-sidecar-proxy`)).json()) as { ServiceTaggedAddresses: Record<string, { Address: string }> }[];
    const vip = proxy[0]?.ServiceTaggedAddresses['consul-virtual']?.Address;
    // Wait for the backend sidecar's health check to pass.
    for (let i = 0; i < 300; i++) {
      const h = (await (await fetch(`${A.httpAddr}/v1/health/connect/backend?passing`)).json()) as unknown[];
      if (h.length > 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const out = await ns.exec([process.execPath, '-e', LOAD, '127.0.0.1:7000', `${vip}:${echoPort}`, String(seconds)], 65534, (seconds * 3 + 30) * 1000);
    if (out.code !== 0 || !out.stdout.trim()) throw new Error(`load generator failed (${out.code}): ${out.stderr || out.stdout}`);
    const res = JSON.parse(out.stdout.trim()) as { explicit: { cps: number; errors: number }; transparent: { cps: number; errors: number } };
    printTable('Outbound connection setup through the sidecar (connect + 64 B echo + close, 8 parallel)', ['path', 'conn/s', 'errors'], [
      ['explicit upstream listener (baseline)', fmt(res.explicit.cps, 0), res.explicit.errors],
      ['transparent: iptables REDIRECT + SO_ORIGINAL_DST + VIP', fmt(res.transparent.cps, 0), res.transparent.errors],
    ]);
    console.log(`ratio transparent/explicit — conn/s ×${fmt(res.transparent.cps / res.explicit.cps, 2)}`);
    return { tproxyExplicitCps: res.explicit.cps, tproxyTransparentCps: res.transparent.cps, tproxyCpsRatio: res.transparent.cps / res.explicit.cps };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await A?.stop();
    ns.destroy();
  }
}

/** A node script (not the CLI) as a managed process, via the same helper. */
function startCliRaw(prefix: string[], nodeArgs: string[], ready: RegExp): Promise<CliProcess> {
  return startCli(nodeArgs, ready, 20_000, prefix, false);
}
