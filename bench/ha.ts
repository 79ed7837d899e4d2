// Benchmarks of several servers on etcd (issue 15), each beside a baseline measured in the same run:
// catalog writes/s through 3 servers vs bare etcd client puts with the same concurrency; leader
// failover → peering ACTIVE again (p50/max); /v1/health/service reads/s across 3 servers vs one (wrk).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { LocalEtcd } from '../src/store/etcd/local-etcd.js';
import { runCli, startAgent, waitFor, type AgentProcess } from '../test/support/agent-process.js';
import { fmt, percentile, printTable } from './stats.js';

const LEASE_TTL = '3s';

interface Cluster {
  etcd: LocalEtcd;
  servers: AgentProcess[];
  grpcPorts: string[];
  cfg: string;
}

async function startServer(c: Cluster, i: number): Promise<AgentProcess> {
  const a = await startAgent(['--etcd-endpoints', c.etcd.endpoints.join(','), '--datacenter', 'east', '--node', `s${i}`, '--server-port', String(28300 + i), '--config-file', c.cfg, '--grpc-tls-port', c.grpcPorts[i] ?? '0', '--log-level', 'warn']);
  c.grpcPorts[i] = a.grpcAddr.split(':')[1] as string;
  c.servers[i] = a;
  return a;
}

async function leaderIndex(c: Cluster): Promise<number> {
  return waitFor(
    async () => {
      const live = c.servers.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
      const answers = await Promise.all(live.map((s) => fetch(`${s.httpAddr}/v1/status/leader`).then((r) => r.json() as Promise<string>).catch(() => '')));
      if (answers.length === 0 || !answers[0] || answers.some((a) => a !== answers[0])) return undefined;
      const i = Number(answers[0].split(':')[1]) - 28300;
      return live.includes(c.servers[i] as AgentProcess) ? i : undefined;
    },
    'leader',
    30_000,
  );
}

/** `workers` concurrent sequential loops sharing `n` operations; ops per second. */
async function rate(n: number, workers: number, op: (i: number, worker: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = next++; i < n; i = next++) await op(i, w);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function writes(c: Cluster, n: number, workers: number): Promise<{ catalog: number; bare: number }> {
  const client = new Etcd3({ hosts: c.etcd.endpoints });
  const value = JSON.stringify({ Node: 'n', Address: '10.0.0.1', Datacenter: 'east', TaggedAddresses: {}, Meta: {} });
  try {
    const bare = await rate(n, workers, async (i) => {
      await client.put(`bench/bare/node/n${i % 500}`).value(value);
    });
    const catalog = await rate(n, workers, async (i, w) => {
      const s = c.servers[w % c.servers.length] as AgentProcess;
      const r = await fetch(`${s.httpAddr}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify({ Node: `w${i % 500}`, Address: `10.0.${i % 250}.${i % 200}` }) });
      if (r.status !== 200) throw new Error(`register failed: ${r.status} ${await r.text()}`);
    });
    return { catalog, bare };
  } finally {
    client.close();
  }
}

function wrk(url: string, seconds: number, connections: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t', '1', '-c', String(connections), '-d', `${seconds}s`, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', () => {
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`wrk output not understood:\n${out}`));
    });
  });
}

async function reads(c: Cluster, seconds: number): Promise<{ one: number; three: number }> {
  // 100 instances of "web" with a check each.
  const s0 = c.servers[0] as AgentProcess;
  for (let i = 0; i < 100; i++) {
    await fetch(`${s0.httpAddr}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({ Node: `r${i}`, Address: `10.2.0.${i}`, Service: { ID: `web-${i}`, Service: 'web', Port: 80 }, Checks: [{ CheckID: `web-${i}`, Name: 'alive', Status: 'passing', ServiceID: `web-${i}` }] }),
    });
  }
  const path = '/v1/health/service/web';
  const one = await wrk(`${s0.httpAddr}${path}`, seconds, 24);
  const all = await Promise.all(c.servers.map((s) => wrk(`${s.httpAddr}${path}`, seconds, 8)));
  return { one, three: all.reduce((a, b) => a + b, 0) };
}

async function failovers(c: Cluster, west: AgentProcess, kills: number, budgetMs: number): Promise<number[]> {
  const active = (a: AgentProcess, name: string) => async () => {
    const r = await fetch(`${a.httpAddr}/v1/peering/${name}`).catch(() => undefined);
    return r?.status === 200 && ((await r.json()) as { State: string }).State === 'ACTIVE' ? true : undefined;
  };
  const gen = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', (c.servers[0] as AgentProcess).httpAddr]);
  if (gen.code !== 0) throw new Error(gen.stderr);
  const est = runCli(['peering', 'establish', '--name', 'east', '--peering-token', gen.stdout.trim(), '--http-addr', west.httpAddr]);
  if (est.code !== 0) throw new Error(est.stderr);
  await waitFor(active(west, 'east'), 'peering ACTIVE', 30_000);
  const times: number[] = [];
  const until = Date.now() + budgetMs;
  for (let k = 0; k < kills && Date.now() < until; k++) {
    const l = await leaderIndex(c);
    const t0 = performance.now();
    await (c.servers[l] as AgentProcess).kill9();
    // ACTIVE on both sides again: the peer's view and the new leader's.
    await new Promise((r) => setTimeout(r, 200));
    await waitFor(active(west, 'east'), 'west ACTIVE again', 60_000);
    const nl = await leaderIndex(c);
    await waitFor(active(c.servers[nl] as AgentProcess, 'west'), 'east ACTIVE again', 60_000);
    times.push(performance.now() - t0);
    await startServer(c, l);
  }
  return times;
}

export async function benchHa(tmp: string, quick: boolean): Promise<Record<string, number>> {
  if (!LocalEtcd.available()) {
    console.log('\n## HA benchmarks skipped: etcd is not installed');
    return {};
  }
  const cfg = join(tmp, 'ha-bench.json');
  writeFileSync(cfg, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' }, store: { etcd: { lease_ttl: LEASE_TTL } } }));
  const westCfg = join(tmp, 'ha-west.json');
  writeFileSync(westCfg, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' } }));
  const etcd = await LocalEtcd.start({ members: 3 });
  const c: Cluster = { etcd, servers: [], grpcPorts: [], cfg };
  let west: AgentProcess | undefined;
  const out: Record<string, number> = {};
  try {
    await startServer(c, 0);
    await Promise.all([startServer(c, 1), startServer(c, 2)]);
    west = await startAgent(['--dev', '--datacenter', 'west', '--node', 'w1', '--config-file', westCfg, '--log-level', 'warn']);
    await leaderIndex(c);

    const n = quick ? 600 : 3000;
    const rows: string[][] = [];
    for (const workers of [3, 24]) {
      const w = await writes(c, n, workers);
      rows.push([String(workers), fmt(w.bare, 0), fmt(w.catalog, 0), fmt(w.catalog / w.bare, 3)]);
      out[`haCatalogWrites${workers}`] = w.catalog;
      out[`haBareEtcdPuts${workers}`] = w.bare;
    }
    printTable(`catalog writes/s through 3 servers vs bare etcd3 puts (${n} acknowledged writes, 3-member etcd on tmpfs)`, ['concurrency', 'bare etcd puts', 'PUT /v1/catalog/register', 'ratio'], rows);

    const r = await reads(c, quick ? 3 : 8);
    printTable('GET /v1/health/service/web (100 instances), wrk', ['servers', 'req/s', 'ratio'], [
      ['1', fmt(r.one, 0), '1.000'],
      ['3', fmt(r.three, 0), fmt(r.three / r.one, 3)],
    ]);
    out.haReadsOne = r.one;
    out.haReadsThree = r.three;

    const times = (await failovers(c, west, quick ? 3 : 10, quick ? 90_000 : 300_000)).sort((a, b) => a - b);
    printTable(`leader kill -9 → peering ACTIVE on both sides (lease TTL ${LEASE_TTL}, ${times.length} kills)`, ['p50 ms', 'max ms'], [[fmt(percentile(times, 50), 0), fmt(times[times.length - 1] ?? NaN, 0)]]);
    out.haFailoverP50Ms = percentile(times, 50);
    out.haFailoverMaxMs = times[times.length - 1] ?? NaN;
  } finally {
    await Promise.all([...c.servers.map((s) => s.stop()), west?.stop()]);
    await etcd.stop();
  }
  return out;
}
