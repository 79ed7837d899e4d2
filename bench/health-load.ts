// Benchmark: /v1/health/service/:name with 1,000 instances under concurrent load, against a bare
// node:http server sending the very same bytes, measured back to back in one run.
import autocannon from 'autocannon';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { fmt, printTable } from './stats.js';

export const INSTANCES = 1_000;

async function load(url: string, seconds: number, connections: number): Promise<autocannon.Result> {
  return autocannon({ url, connections, duration: seconds, pipelining: 1 });
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
    // Warm both sides, then measure bare first and isthmus second (same machine, same run).
    await load(`http://127.0.0.1:${bare.port}${path}`, 1, opts.connections);
    await load(agent.httpAddr + path, 1, opts.connections);
    const b = await load(`http://127.0.0.1:${bare.port}${path}`, opts.seconds, opts.connections);
    const i = await load(agent.httpAddr + path, opts.seconds, opts.connections);
    const ratio = i.requests.average / b.requests.average;
    printTable(
      `GET ${path} — ${INSTANCES} instances, ${fmt(body.length / 1024, 0)} KiB per response, ${opts.connections} connections, ${opts.seconds}s each`,
      ['server', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'errors'],
      [
        ['bare node:http (same bytes)', fmt(b.requests.average), fmt(b.throughput.average / 1048576), b.latency.p50, b.latency.p99, b.errors + b.non2xx],
        ['isthmus', fmt(i.requests.average), fmt(i.throughput.average / 1048576), i.latency.p50, i.latency.p99, i.errors + i.non2xx],
      ],
    );
    console.log(`ratio isthmus/bare req/s: ${fmt(ratio, 3)}`);
    return { healthReqPerSec: i.requests.average, bareReqPerSec: b.requests.average, healthRatio: ratio, healthP99: i.latency.p99, bareP99: b.latency.p99 };
  } finally {
    await stop(bare.proc);
  }
}
