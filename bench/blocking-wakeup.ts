// Benchmark: wake-up latency of 10,000 concurrent blocking queries after one change, against a bare
// node:http server holding as many requests and answering them all when triggered.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { cpuMs, fmt, percentile, printTable } from './stats.js';

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

interface Held {
  done: Promise<number>;
}

/** Opens `count` requests; each resolves with the time (ms, performance.now) its response ended. */
async function openMany(port: number, path: string, count: number): Promise<Held[]> {
  const held: Held[] = [];
  const batch = 500;
  for (let i = 0; i < count; i += batch) {
    const opened: Promise<void>[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      let sent: () => void = () => {};
      opened.push(new Promise<void>((r) => (sent = r)));
      const done = new Promise<number>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(performance.now()));
        });
        req.on('error', reject);
        req.on('socket', (s) => s.once('connect', () => sent()));
      });
      held.push({ done });
    }
    await Promise.all(opened);
  }
  return held;
}

async function latencies(held: Held[], t0: number): Promise<number[]> {
  const ends = await Promise.all(held.map((h) => h.done));
  return ends.map((e) => e - t0).sort((a, b) => a - b);
}

export async function benchWakeup(isthmus: AgentProcess, tmp: string, count: number): Promise<Record<string, number>> {
  const reg = (id: string): Promise<Response> =>
    fetch(`${isthmus.httpAddr}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({ Node: 'wake-node', Address: '10.9.9.9', Service: { ID: id, Service: 'wake', Port: 1 } }),
    });
  await reg('wake-1');
  const first = await fetch(`${isthmus.httpAddr}/v1/health/service/wake`);
  const index = Number(first.headers.get('x-consul-index'));
  const body = Buffer.from(await first.arrayBuffer());

  // isthmus
  const held = await openMany(isthmus.port, `/v1/health/service/wake?index=${index}&wait=5m`, count);
  await new Promise((r) => setTimeout(r, 2000));
  const c0 = cpuMs(isthmus.proc.pid);
  const t0 = performance.now();
  await reg('wake-2');
  const li = await latencies(held, t0);
  const ci = cpuMs(isthmus.proc.pid) - c0;

  // bare baseline
  const bodyFile = join(tmp, 'wake-body.json');
  writeFileSync(bodyFile, body);
  const bare = await startBare('hold', bodyFile);
  let lb: number[];
  let cb: number;
  try {
    const heldBare = await openMany(bare.port, '/v1/health/service/wake', count);
    for (;;) {
      const n = Number(await (await fetch(`http://127.0.0.1:${bare.port}/held`)).text());
      if (n >= count) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const c1 = cpuMs(bare.proc.pid);
    const tb = performance.now();
    await fetch(`http://127.0.0.1:${bare.port}/trigger`);
    lb = await latencies(heldBare, tb);
    cb = cpuMs(bare.proc.pid) - c1;
  } finally {
    await stop(bare.proc);
  }
  const row = (name: string, l: number[], cpu: number): (string | number)[] => [name, l.length, fmt(percentile(l, 50)), fmt(percentile(l, 99)), fmt(l[l.length - 1] ?? NaN), fmt(cpu)];
  // Server CPU from the write until the last response ended: what the wake-up costs the server,
  // steadier than latency when other work shares the machine.
  printTable(`Wake-up of ${count} concurrent blocking queries after one change (ms from the write)`, ['server', 'woken', 'p50', 'p99', 'max', 'server cpu ms'], [row('bare node:http (hold + trigger)', lb, cb), row('isthmus', li, ci)]);
  const r50 = percentile(li, 50) / percentile(lb, 50);
  const r99 = percentile(li, 99) / percentile(lb, 99);
  console.log(`ratio isthmus/bare: p50 ${fmt(r50, 2)}, p99 ${fmt(r99, 2)}, server cpu ${fmt(ci / cb, 2)}`);
  return { wakeP50: percentile(li, 50), wakeP99: percentile(li, 99), bareWakeP50: percentile(lb, 50), bareWakeP99: percentile(lb, 99), wakeCpuMs: ci, bareWakeCpuMs: cb };
}
