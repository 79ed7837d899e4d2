// Starts real `isthmus` processes on loopback for end-to-end tests, and always cleans them up.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file runs from dist/test/support). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'isthmus.js');
const START_TIMEOUT_MS = 20_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export interface AgentProcess {
  proc: ChildProcess;
  httpAddr: string;
  port: number;
  /** host:port of the gRPC TLS listener. */
  grpcAddr: string;
  /** UDP/TCP port of the DNS interface. */
  dnsPort: number;
  output(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9) and wait for exit. */
  kill9(): Promise<void>;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `isthmus-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function exited(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((r) => p.once('exit', (code) => r(code)));
}

/** Starts `isthmus agent` with the given flags (an HTTP port of 0 unless given) and waits until it listens. */
export async function startAgent(args: string[], options: { prefix?: string[] } = {}): Promise<AgentProcess> {
  const full = ['agent', ...args];
  if (!args.includes('--http-port')) full.push('--http-port', '0');
  if (!args.includes('--grpc-tls-port')) full.push('--grpc-tls-port', '0');
  if (!args.includes('--dns-port')) full.push('--dns-port', '0');
  // ISTHMUS_AGENT_NODE_ARGS: extra node flags for agents (profiling benchmarks: "--cpu-prof --cpu-prof-dir=DIR").
  const nodeArgs = (process.env.ISTHMUS_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // `prefix` wraps the command (e.g. `ip netns exec NS`); such wrappers exec, so the PID stays the agent's.
  const [cmd, ...pre] = options.prefix && options.prefix.length > 0 ? [...options.prefix, process.execPath] : [process.execPath];
  const proc = spawn(cmd as string, [...pre, ...nodeArgs, BIN, ...full], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const httpAddr = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`agent did not start within ${START_TIMEOUT_MS}ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = (): void => {
      const m = /HTTP API: (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1] as string);
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening:\n${out}`));
    });
  });
  const grpcAddr = /gRPC TLS: ([\d.]+:\d+)/.exec(out)?.[1] ?? '';
  const dnsPort = Number(/DNS: [\d.]+:(\d+)/.exec(out)?.[1] ?? 0);
  return {
    proc,
    httpAddr,
    grpcAddr,
    dnsPort,
    port: Number(new URL(httpAddr).port),
    output: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited(proc);
      clearTimeout(force);
      return code;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited(proc);
    },
  };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
