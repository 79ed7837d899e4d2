// Benchmark: /v1/health/service/:name with 1,000 instances under concurrent load, against a bare
// node:http server sending the very same bytes, measured back to back in one run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { cpuMs, fmt, printTable } from './stats.js';
import { wrk, type WrkResult } from './wrk.js';

export const INSTANCES = 1_000;

interface Measured extends WrkResult {
  /** Server CPU per response (µs): steadier than req/s when other work shares the machine. */
  cpuUsPerReq: number;
}

async function load(url: string, seconds: number, connections: number, pid?: number): Promise<Measured> {
  const c0 = cpuMs(pid);
  const r = await wrk(url, { seconds, connections, threads: 2 });
  return { ...r, cpuUsPerReq: ((cpuMs(pid) - c0) * 1000) / r.requests };
}

export async function registerInstances(agent: AgentProcess, name: string, count: number): Promise<void> {
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) => {
        const n = i + j;
        return fetch(`${agent.httpAddr}/v1/catalog/register`, {
          method: 'PUT',
          body: JSON.stringify({
            Node: `node-${n}`,
            Address: `10.${(n >> 8) & 255}.${n & 255}.1`,
            NodeMeta: { zone: `z${n % 3}` },
            Service: { ID: `${name}-${n}`, Service: name, Port: 8080, Tags: ['v1', `shard-${n % 8}`], Meta: { version: '1.2.3' } },
            Checks: [
              { CheckID: `${name}-${n}-alive`, Name: 'alive', Status: 'passing', ServiceID: `${name}-${n}`, Output: 'HTTP GET http://10.0.0.1:8080/health: 200 OK Output: ok' },
              { CheckID: 'node-ok', Name: 'node', Status: 'passing' },
            ],
          }),
        }).then((r) => {
          if (r.status !== 200) throw new Error(`register failed: ${r.status}`);
        });
      }),
    );
  }
}

export async function benchHealthLoad(agent: AgentProcess, tmp: string, opts: { seconds: number; connections: number }): Promise<Record<string, number>> {
  await registerInstances(agent, 'web', INSTANCES);
  const path = '/v1/health/service/web';
  const bodyRes = await fetch(agent.httpAddr + path);
  const body = Buffer.from(await bodyRes.arrayBuffer());
  const bodyFile = join(tmp, 'health-body.json');
  writeFileSync(bodyFile, body);
  const bare = await startBare('serve', bodyFile);
  try {
    // Warm both sides, then alternate bare and isthmus twice (same machine, same run) and keep each side's best.
    await load(`http://127.0.0.1:${bare.port}${path}`, 1, opts.connections);
    await load(agent.httpAddr + path, 1, opts.connections);
    const bs: Measured[] = [];
    const is: Measured[] = [];
    for (let round = 0; round < 2; round++) {
      bs.push(await load(`http://127.0.0.1:${bare.port}${path}`, opts.seconds, opts.connections, bare.proc.pid));
      is.push(await load(agent.httpAddr + path, opts.seconds, opts.connections, agent.proc.pid));
    }
    const best = (rs: Measured[]): Measured => rs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    const b = best(bs);
    const i = best(is);
    const ratio = i.reqPerSec / b.reqPerSec;
    printTable(
      `GET ${path} — ${INSTANCES} instances, ${fmt(body.length / 1024, 0)} KiB per response, wrk -t2 -c${opts.connections}, ${opts.seconds}s × 2 rounds each (best round)`,
      ['server', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'errors', 'server cpu µs/req'],
      [
        ['bare node:http (same bytes)', fmt(b.reqPerSec), fmt(b.mibPerSec), fmt(b.p50Ms, 2), fmt(b.p99Ms, 2), b.errors, fmt(b.cpuUsPerReq)],
        ['isthmus', fmt(i.reqPerSec), fmt(i.mibPerSec), fmt(i.p50Ms, 2), fmt(i.p99Ms, 2), i.errors, fmt(i.cpuUsPerReq)],
      ],
    );
    const cpu = (rs: Measured[]): string => rs.map((r) => fmt(r.cpuUsPerReq, 0)).join(', ');
    console.log(`ratio isthmus/bare req/s: ${fmt(ratio, 3)} (rounds: bare ${bs.map((r) => fmt(r.reqPerSec, 0)).join(', ')}; isthmus ${is.map((r) => fmt(r.reqPerSec, 0)).join(', ')})`);
    console.log(`server cpu µs per response (rounds): bare ${cpu(bs)}; isthmus ${cpu(is)}; bare/isthmus ${fmt(b.cpuUsPerReq / i.cpuUsPerReq, 3)}`);
    return { healthReqPerSec: i.reqPerSec, bareReqPerSec: b.reqPerSec, healthRatio: ratio, healthP99: i.p99Ms, bareP99: b.p99Ms, healthCpuUs: i.cpuUsPerReq, bareCpuUs: b.cpuUsPerReq };
  } finally {
    await stop(bare.proc);
  }
}
