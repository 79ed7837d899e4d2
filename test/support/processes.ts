// Long-running CLI processes for data-plane tests (proxies, gateways, tiny apps), always cleaned up.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { BIN, ROOT } from './agent-process.js';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface CliProcess {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `isthmus <args>` and waits for `ready` in its output. */
export async function startCli(args: string[], ready: RegExp, timeoutMs = 20_000, prefix: string[] = [], isthmus = true): Promise<CliProcess> {
  const [cmd, ...pre] = prefix.length > 0 ? [...prefix, process.execPath] : [process.execPath];
  const proc = spawn(cmd as string, [...pre, ...(isthmus ? [BIN] : []), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`"${args.join(' ')}" not ready:\n${out}`));
    }, timeoutMs);
    const check = (): void => {
      if (ready.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`"${args.join(' ')}" exited with ${c}:\n${out}`));
    });
  });
  return {
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((r) => {
        if (proc.exitCode !== null) return r();
        const force = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        proc.once('exit', () => {
          clearTimeout(force);
          r();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** A one-line HTTP app on loopback. */
export async function startApp(body: string): Promise<{ port: number; close(): void }> {
  const srv = http.createServer((_q, s) => s.end(body));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

/** GET through a port; resolves with the body or the error text (never hangs). */
export function httpGet(port: number, timeoutMs = 5000): Promise<{ ok: boolean; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve({ ok: true, body: b }));
      res.on('error', (e) => resolve({ ok: false, body: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, body: e.message }));
  });
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
