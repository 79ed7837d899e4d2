// Starts real etcd members (Debian `etcd-server`) on free loopback ports for tests, benchmarks and
// local clusters: temp data dirs, kill -9 and restart of a member, and cleanup on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's etcd-server package installs it here. */
export const ETCD_BINARY = '/usr/bin/etcd';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { timeout: 1000, agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(b)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

interface Member {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  proc: ChildProcess | undefined;
  output: string;
}

export interface LocalEtcdOptions {
  /** Members of the cluster. @default 1 */
  members?: number;
  /** How long to wait for the cluster to become healthy. @default 30 s */
  readyTimeoutMs?: number;
}

/** A local etcd cluster; `endpoints` are its client URLs. */
export class LocalEtcd {
  readonly #members: Member[];
  readonly #root: string;
  readonly #cluster: string;
  readonly #timeout: number;

  private constructor(members: Member[], root: string, timeout: number) {
    this.#members = members;
    this.#root = root;
    this.#timeout = timeout;
    this.#cluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  }

  static available(): boolean {
    return existsSync(ETCD_BINARY);
  }

  static async start(options: LocalEtcdOptions = {}): Promise<LocalEtcd> {
    const n = options.members ?? 1;
    // tmpfs when there is one: fsync is what makes etcd slow on a shared CI disk.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const root = mkdtempSync(join(base, 'isthmus-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < n; i++) {
      members.push({ name: `m${i}`, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, dataDir: join(root, `m${i}`), proc: undefined, output: '' });
    }
    const etcd = new LocalEtcd(members, root, options.readyTimeoutMs ?? 30_000);
    try {
      for (let i = 0; i < n; i++) etcd.#spawn(i);
      await etcd.waitHealthy();
    } catch (err) {
      await etcd.stop();
      throw err;
    }
    return etcd;
  }

  get endpoints(): string[] {
    return this.#members.map((m) => m.clientUrl);
  }

  get size(): number {
    return this.#members.length;
  }

  #spawn(i: number): void {
    const m = this.#members[i] as Member;
    const proc = spawn(
      ETCD_BINARY,
      [
        '--name', m.name,
        '--data-dir', m.dataDir,
        '--listen-client-urls', m.clientUrl,
        '--advertise-client-urls', m.clientUrl,
        '--listen-peer-urls', m.peerUrl,
        '--initial-advertise-peer-urls', m.peerUrl,
        '--initial-cluster', this.#cluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `isthmus-${process.pid}`,
        '--logger', 'zap',
        '--log-level', 'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    m.output = '';
    proc.stdout?.on('data', (d: Buffer) => (m.output = (m.output + d.toString()).slice(-20_000)));
    proc.stderr?.on('data', (d: Buffer) => (m.output = (m.output + d.toString()).slice(-20_000)));
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    m.proc = proc;
  }

  /** Waits until every running member answers /health. */
  async waitHealthy(): Promise<void> {
    const deadline = Date.now() + this.#timeout;
    for (;;) {
      const running = this.#members.filter((m) => m.proc && m.proc.exitCode === null && m.proc.signalCode === null);
      const ok = await Promise.all(running.map((m) => healthy(m.clientUrl)));
      if (running.length > 0 && ok.every(Boolean)) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd not healthy after ${this.#timeout} ms:\n${this.#members.map((m) => `${m.name}: ${m.output.slice(-2000)}`).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9 of one member (its data dir stays for a restart). */
  async kill(i: number): Promise<void> {
    const p = this.#members[i]?.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGKILL');
    });
  }

  /** Restarts a killed member with its data. */
  async restart(i: number): Promise<void> {
    this.#spawn(i);
    await this.waitHealthy();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#members.map((_m, i) => this.kill(i)));
    rmSync(this.#root, { recursive: true, force: true });
  }
}
