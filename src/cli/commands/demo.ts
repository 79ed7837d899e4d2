// `isthmus demo`: two clusters on loopback, peered, with a backend exported from east and called by a
// frontend in west through sidecars and mesh gateways; shows an intention allow, then a deny.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { IsthmusClient } from '../../sdk/client.js';
import type { Command, CommandContext } from '../command.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 5000, agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

class Children {
  readonly #procs: ChildProcess[] = [];
  constructor(private readonly self: string[]) {}

  async start(args: string[], ready: RegExp): Promise<string> {
    const [cmd, ...pre] = this.self as [string, ...string[]];
    const p = spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#procs.push(p);
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(async () => (ready.test(out) ? true : p.exitCode !== null ? Promise.reject(new Error(out)) : undefined), `"${args.slice(0, 3).join(' ')}"`);
    return out;
  }

  stopAll(): void {
    for (const p of this.#procs) if (p.exitCode === null) p.kill('SIGTERM');
  }
}

async function run(ctx: CommandContext, children: Children, exitAfter: boolean): Promise<void> {
  const say = (s: string): void => ctx.out(s);
  const ports = { eastHttp: await freePort(), eastGrpc: await freePort(), westHttp: await freePort(), westGrpc: await freePort(), gateway: await freePort(), backendSidecar: await freePort(), frontendSidecar: await freePort(), upstream: await freePort() };
  say('1. Starting two independent clusters on this machine: "east" and "west".');
  await children.start(['agent', '--dev', '--datacenter', 'east', '--node', 'east-server', '--http-port', String(ports.eastHttp), '--grpc-tls-port', String(ports.eastGrpc), '--dns-port', '0', '--log-level', 'warn'], /HTTP API/);
  await children.start(['agent', '--dev', '--datacenter', 'west', '--node', 'west-server', '--http-port', String(ports.westHttp), '--grpc-tls-port', String(ports.westGrpc), '--dns-port', '0', '--log-level', 'warn'], /HTTP API/);
  const east = new IsthmusClient({ address: `http://127.0.0.1:${ports.eastHttp}` });
  const west = new IsthmusClient({ address: `http://127.0.0.1:${ports.westHttp}` });
  say(`   east: http://127.0.0.1:${ports.eastHttp}   west: http://127.0.0.1:${ports.westHttp}`);

  say('2. Peering them: east generates a one-time token, west establishes with it.');
  const { PeeringToken } = await east.peeringGenerateToken({ PeerName: 'west' });
  await west.peeringEstablish({ PeerName: 'east', PeeringToken });
  await waitFor(async () => ((await east.peeringRead('west')).State === 'ACTIVE' && (await west.peeringRead('east')).State === 'ACTIVE' ? true : undefined), 'ACTIVE');
  say('   Both sides report the peering ACTIVE.');

  say('3. In east: a backend app with a sidecar proxy, and a mesh gateway.');
  const backend = http.createServer((_q, s) => s.end('hello from the backend in east'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  await east.registerService({ Name: 'backend', Port: backendPort, Connect: { SidecarService: { Port: ports.backendSidecar } } });
  await children.start(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${ports.gateway}`, '--http-addr', `http://127.0.0.1:${ports.eastHttp}`, '--log-level', 'warn'], /Mesh gateway running/);
  await children.start(['connect', 'proxy', '--sidecar-for', 'backend', '--refresh-interval-ms', '1000', '--http-addr', `http://127.0.0.1:${ports.eastHttp}`, '--log-level', 'warn'], /running/);

  say('4. East exports "backend" to west and allows west\'s "frontend" to call it (an intention).');
  await east.configWrite({ Kind: 'exported-services', Name: 'default', Services: [{ Name: 'backend', Consumers: [{ Peer: 'west' }] }] });
  const intention = (action: 'allow' | 'deny'): Promise<boolean> => east.configWrite({ Kind: 'service-intentions', Name: 'backend', Sources: [{ Name: 'frontend', Peer: 'west', Action: action }] });
  await intention('allow');

  say('5. In west: a frontend app whose sidecar has "backend from peer east" as an upstream.');
  const frontend = http.createServer((_q, s) => {
    void get(ports.upstream).then((r) => {
      s.statusCode = r.status === 200 ? 200 : 502;
      s.end(r.status === 200 ? `frontend (west) got: "${r.body}"` : `frontend (west) could not reach the backend: ${r.body || 'connection refused'}`);
    });
  });
  await new Promise<void>((r) => frontend.listen(0, '127.0.0.1', r));
  const frontendPort = (frontend.address() as net.AddressInfo).port;
  await west.registerService({ Name: 'frontend', Port: frontendPort, Connect: { SidecarService: { Port: ports.frontendSidecar, Proxy: { Upstreams: [{ DestinationName: 'backend', DestinationPeer: 'east', LocalBindPort: ports.upstream }] } } } });
  await waitFor(async () => ((await west.healthConnect('backend', { peer: 'east' })).length > 0 ? true : undefined), 'the imported backend');
  await children.start(['connect', 'proxy', '--sidecar-for', 'frontend', '--refresh-interval-ms', '1000', '--http-addr', `http://127.0.0.1:${ports.westHttp}`, '--log-level', 'warn'], /running/);

  say('6. Calling the frontend: west sidecar → east mesh gateway → east sidecar → backend, mutual TLS end to end.');
  await waitFor(async () => ((await get(frontendPort)).status === 200 ? true : undefined), 'the first successful call');
  for (let i = 1; i <= 3; i++) say(`   request ${i}: ${(await get(frontendPort)).body}`);

  say('7. Flipping the intention to deny: the backend\'s sidecar refuses west\'s frontend.');
  await intention('deny');
  const denied = await waitFor(async () => {
    const r = await get(frontendPort);
    return r.status !== 200 ? r : undefined;
  }, 'the refusal');
  say(`   request: ${denied.body}`);
  await intention('allow');
  await waitFor(async () => ((await get(frontendPort)).status === 200 ? true : undefined), 'allowed again');
  say('   Allowed again: the next request succeeds.');
  say(`Demo complete. Frontend: http://127.0.0.1:${frontendPort}/  east API: http://127.0.0.1:${ports.eastHttp}  west API: http://127.0.0.1:${ports.westHttp}`);
  say(`Web UI: east http://127.0.0.1:${ports.eastHttp}/ui/  west http://127.0.0.1:${ports.westHttp}/ui/`);
  if (!exitAfter) {
    say('Everything keeps running; press Ctrl-C to stop and clean up.');
    await new Promise<never>(() => undefined); // the signal handler cleans up and exits
  }
  backend.close();
  frontend.close();
}

export const demoCommand: Command = {
  path: ['demo'],
  local: true,
  summary: 'Two peered clusters with traffic across them, step by step',
  usage: 'isthmus demo [--exit]',
  flags: { exit: { type: 'boolean', doc: 'Stop and clean up after the last step instead of waiting for Ctrl-C.' } },
  async run({ flags }, ctx) {
    const children = new Children(ctx.self);
    // Ctrl-C in the middle of a step still cleans up every child process.
    const abort = (): void => {
      children.stopAll();
      ctx.out('Stopped; all demo processes cleaned up.');
      process.exit(0);
    };
    process.on('SIGINT', abort);
    process.on('SIGTERM', abort);
    try {
      await run(ctx, children, flags.exit === true);
      ctx.out('Stopped; all demo processes cleaned up.');
    } finally {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
      children.stopAll();
    }
  },
};
