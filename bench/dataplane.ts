// Data-plane benchmarks: the mesh gateway alone (SNI passthrough) and the full peered path
// (sidecar → gateway → sidecar), each against a direct connection, plus HAProxy doing the same SNI
// passthrough — all on this machine, in the same run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { createRootCert, exportPrivateKeyPem, generateKey } from '../src/server/ca/certs.js';
import { startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { freePort, startCli, type CliProcess } from '../test/support/processes.js';
import { fmt, percentile, printTable } from './stats.js';

const MSG = Buffer.alloc(64, 120);

/** A throwaway self-signed certificate for the TLS echo server behind the gateway. */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const key = await generateKey(256);
  const cert = await createRootCert({ commonName: 'bench', trustDomain: 'bench.consul', key, ttlMs: 3_600_000 });
  return { cert: cert.toString('pem'), key: await exportPrivateKeyPem(key.keys.privateKey) };
}

function echoServer(secure?: { cert: string; key: string }): Promise<{ port: number; close(): void }> {
  const onConn = (s: net.Socket): void => {
    s.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => s.destroy());
  };
  const srv = secure ? tls.createServer(secure, onConn) : net.createServer(onConn);
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close() })));
}

type Dial = () => Promise<net.Socket>;

function tlsDial(port: number, servername: string): Dial {
  return () =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
}

function tcpDial(port: number): Dial {
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
}

function roundTrip(s: net.Socket, msg: Buffer): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const on = (d: Buffer): void => {
      got += d.length;
      if (got >= msg.length) {
        s.off('data', on);
        resolve();
      }
    };
    s.on('data', on);
    s.write(msg);
  });
}

/** Sequential 64-byte echo round trips over one connection: p50/p99 in µs. */
async function latency(dial: Dial, n: number): Promise<number[]> {
  const s = await dial();
  for (let i = 0; i < 50; i++) await roundTrip(s, MSG);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await roundTrip(s, MSG);
    out.push((performance.now() - t0) * 1000);
  }
  s.destroy();
  return out.sort((a, b) => a - b);
}

/** 64-byte echo round trips on `conns` connections at once (each sequential): all latencies in µs, sorted. */
async function latencyConcurrent(dial: Dial, conns: number, perConn: number): Promise<number[]> {
  const sockets = await Promise.all(Array.from({ length: conns }, () => dial()));
  for (const s of sockets) for (let i = 0; i < 5; i++) await roundTrip(s, MSG);
  const out: number[] = [];
  await Promise.all(
    sockets.map(async (s) => {
      for (let i = 0; i < perConn; i++) {
        const t0 = performance.now();
        await roundTrip(s, MSG);
        out.push((performance.now() - t0) * 1000);
      }
      s.destroy();
    }),
  );
  return out.sort((a, b) => a - b);
}

/** MiB/s echoed through one connection (64 KiB writes, pipelined up to the echo). */
async function throughput(dial: Dial, mib: number): Promise<number> {
  const s = await dial();
  const chunk = Buffer.alloc(64 * 1024, 7);
  const total = mib * 1024 * 1024;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= total) resolve();
    });
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  const secs = (performance.now() - t0) / 1000;
  s.destroy();
  return mib / secs;
}

/** New connection + one round trip + close, 8 in parallel for `seconds`. */
async function connsPerSec(dial: Dial, seconds: number): Promise<number> {
  let n = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < end) {
        const s = await dial();
        await roundTrip(s, MSG);
        s.destroy();
        n++;
      }
    }),
  );
  return n / seconds;
}

async function measure(name: string, dial: Dial, o: { n: number; mib: number; seconds: number }): Promise<(string | number)[]> {
  const l = await latency(dial, o.n);
  const tp = await throughput(dial, o.mib);
  const cps = await connsPerSec(dial, o.seconds);
  return [name, fmt(percentile(l, 50), 0), fmt(percentile(l, 99), 0), fmt(tp, 1), fmt(cps, 0)];
}

function startHaproxy(dir: string, sni: string, backendPort: number): Promise<{ port: number; proc: ChildProcess } | undefined> {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
  } catch {
    return Promise.resolve(undefined);
  }
  return freePort().then(async (port) => {
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global', '  maxconn 4096', 'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 60s', '  timeout server 60s',
        'frontend sni', `  bind 127.0.0.1:${port}`, '  tcp-request inspect-delay 5s', '  tcp-request content accept if { req_ssl_hello_type 1 }',
        `  use_backend echo if { req_ssl_sni -i ${sni} }`, 'backend echo', `  server s1 127.0.0.1:${backendPort}`, '',
      ].join('\n'),
    );
    const proc = spawn('haproxy', ['-f', cfg, '-db'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => {
          s.destroy();
          r(true);
        });
        s.on('error', () => r(false));
      });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { port, proc };
  });
}

export async function benchDataplane(tmp: string, quick: boolean): Promise<Record<string, number>> {
  const o = quick ? { n: 300, mib: 16, seconds: 1 } : { n: 2000, mib: 128, seconds: 3 };
  const cert = await selfSigned();
  const tlsEcho = await echoServer(cert);
  const appEcho = await echoServer();
  const [A, B] = await Promise.all([startAgent(['--dev', '--node', 'a', '--datacenter', 'east', '--log-level', 'warn']), startAgent(['--dev', '--node', 'b', '--datacenter', 'west', '--log-level', 'warn'])]);
  const procs: CliProcess[] = [];
  let haproxy: { port: number; proc: ChildProcess } | undefined;
  const put = (a: AgentProcess, path: string, body: unknown) => fetch(a.httpAddr + path, { method: 'PUT', body: JSON.stringify(body) });
  try {
    const token = ((await (await fetch(`${A.httpAddr}/v1/peering/token`, { method: 'POST', body: JSON.stringify({ PeerName: 'west' }) })).json()) as { PeeringToken: string }).PeeringToken;
    await fetch(`${B.httpAddr}/v1/peering/establish`, { method: 'POST', body: JSON.stringify({ PeerName: 'east', PeeringToken: token }) });
    const td = ((await (await fetch(`${A.httpAddr}/v1/connect/ca/roots`)).json()) as { TrustDomain: string }).TrustDomain;
    const gw = await freePort();
    // The gateway alone: a stand-in "sidecar" (TLS echo) for service bench, exported to west.
    await put(A, '/v1/agent/service/register', { Name: 'bench-sidecar-proxy', Kind: 'connect-proxy', Port: tlsEcho.port, Address: '127.0.0.1', Proxy: { DestinationServiceName: 'bench' } });
    await put(A, '/v1/agent/service/register', { Name: 'backend', Port: appEcho.port, Connect: { SidecarService: { Port: await freePort() } } });
    await put(A, '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'bench', Consumers: [{ Peer: 'west' }] }, { Name: 'backend', Consumers: [{ Peer: 'west' }] }] });
    await put(A, '/v1/config', { Kind: 'service-intentions', Name: 'backend', Sources: [{ Name: 'frontend', Peer: 'west', Action: 'allow' }] });
    procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${gw}`, '--log-level', 'warn', '--http-addr', A.httpAddr], /Mesh gateway running/));
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--log-level', 'warn', '--http-addr', A.httpAddr], /running/));
    const upstream = await freePort();
    await put(B, '/v1/agent/service/register', { Name: 'frontend', Port: 1, Connect: { SidecarService: { Port: await freePort(), Proxy: { Upstreams: [{ DestinationName: 'backend', DestinationPeer: 'east', LocalBindPort: upstream }] } } } });
    for (let i = 0; i < 200; i++) {
      const r = (await (await fetch(`${B.httpAddr}/v1/health/connect/backend?peer=east`)).json()) as unknown[];
      if (r.length > 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'frontend', '--log-level', 'warn', '--http-addr', B.httpAddr], /running/));
    const sni = `bench.default.default.west.external.${td}`;
    haproxy = await startHaproxy(tmp, sni, tlsEcho.port);
    // Let the gateway's caches and health checks settle.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 100; i++) {
      const ok = await tcpDial(upstream)().then(async (s) => {
        const done = await Promise.race([roundTrip(s, MSG).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
        s.destroy();
        return done;
      }, () => false);
      if (ok) break;
    }

    const rows = [
      await measure('direct TLS to the backend (bound)', tlsDial(tlsEcho.port, sni), o),
      await measure('isthmus mesh gateway, SNI passthrough', tlsDial(gw, sni), o),
      ...(haproxy ? [await measure('HAProxy 2.x, same SNI passthrough', tlsDial(haproxy.port, sni), o)] : []),
    ];
    printTable('Mesh gateway alone (TLS client → [gateway] → TLS echo)', ['path', 'p50 µs', 'p99 µs', 'MiB/s', 'conn/s'], rows);
    if (!haproxy) console.log('HAProxy not installed: `apt-get install haproxy` to include it.');
    // Added latency under load: 32 connections at once, direct TLS vs through the gateway (and HAProxy),
    // alternated over several rounds; the figure is the median of the rounds' added p99 (one round is
    // inside the noise on a shared 2-core machine).
    const perConn = quick ? 100 : 400;
    const rounds = quick ? 3 : 5;
    const added: number[] = [];
    const addedHaproxy: number[] = [];
    const roundRows: (string | number)[][] = [];
    for (let r = 0; r < rounds; r++) {
      const d = await latencyConcurrent(tlsDial(tlsEcho.port, sni), 32, perConn);
      const g = await latencyConcurrent(tlsDial(gw, sni), 32, perConn);
      const h = haproxy ? await latencyConcurrent(tlsDial(haproxy.port, sni), 32, perConn) : undefined;
      added.push((percentile(g, 99) - percentile(d, 99)) / 1000);
      if (h) addedHaproxy.push((percentile(h, 99) - percentile(d, 99)) / 1000);
      roundRows.push([r + 1, fmt(percentile(d, 50), 0), fmt(percentile(d, 99), 0), fmt(percentile(g, 50), 0), fmt(percentile(g, 99), 0), ...(h ? [fmt(percentile(h, 50), 0), fmt(percentile(h, 99), 0)] : [])]);
    }
    printTable(
      `32 connections at once, ${perConn} sequential 64-byte round trips each, ${rounds} rounds (µs)`,
      ['round', 'direct p50', 'direct p99', 'gateway p50', 'gateway p99', ...(haproxy ? ['HAProxy p50', 'HAProxy p99'] : [])],
      roundRows,
    );
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
    const addedP99Ms = median(added);
    console.log(
      `gateway p99 added at 32 connections: ${fmt(addedP99Ms, 2)} ms (median of rounds: ${added.map((x) => fmt(x, 2)).join(', ')})` +
        (haproxy ? `; HAProxy: ${fmt(median(addedHaproxy), 2)} ms (${addedHaproxy.map((x) => fmt(x, 2)).join(', ')})` : ''),
    );
    const full = [await measure('direct TCP to the app (bound)', tcpDial(appEcho.port), o), await measure('sidecar → gateway → sidecar (mTLS, peered)', tcpDial(upstream), o)];
    printTable('Full peered path (app client → west sidecar → east gateway → east sidecar → app)', ['path', 'p50 µs', 'p99 µs', 'MiB/s', 'conn/s'], full);
    const num = (r: (string | number)[] | undefined, i: number): number => Number(r?.[i]);
    console.log(
      `ratios vs direct — gateway: p50 ×${fmt(num(rows[1], 1) / num(rows[0], 1), 2)}, MiB/s ×${fmt(num(rows[1], 3) / num(rows[0], 3), 2)}, conn/s ×${fmt(num(rows[1], 4) / num(rows[0], 4), 2)}` +
        (haproxy ? `; gateway vs HAProxy: p50 ×${fmt(num(rows[1], 1) / num(rows[2], 1), 2)}, MiB/s ×${fmt(num(rows[1], 3) / num(rows[2], 3), 2)}, conn/s ×${fmt(num(rows[1], 4) / num(rows[2], 4), 2)}` : '') +
        `; full path: p50 ×${fmt(num(full[1], 1) / num(full[0], 1), 1)}, MiB/s ×${fmt(num(full[1], 3) / num(full[0], 3), 2)}, conn/s ×${fmt(num(full[1], 4) / num(full[0], 4), 2)}` +
        `; full path new conn/s vs direct TLS: ×${fmt(num(full[1], 4) / num(rows[0], 4), 2)}`,
    );
    return {
      gatewayP50us: num(rows[1], 1),
      gatewayMiBs: num(rows[1], 3),
      gatewayConnsPerSec: num(rows[1], 4),
      directTlsP50us: num(rows[0], 1),
      ...(haproxy ? { haproxyP50us: num(rows[2], 1), haproxyMiBs: num(rows[2], 3), haproxyConnsPerSec: num(rows[2], 4) } : {}),
      fullPathP50us: num(full[1], 1),
      fullPathMiBs: num(full[1], 3),
      directTcpP50us: num(full[0], 1),
      fullPathConnsPerSec: num(full[1], 4),
      directTlsConnsPerSec: num(rows[0], 4),
      gatewayAddedP99Ms32: addedP99Ms,
      ...(haproxy ? { haproxyAddedP99Ms32: median(addedHaproxy) } : {}),
    };
  } finally {
    haproxy?.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.stop()));
    tlsEcho.close();
    appEcho.close();
    await Promise.all([A.stop(), B.stop()]);
  }
}
