// Benchmark: GET /v1/kv/<key> (one 1 KiB pair) and GET /v1/kv/<prefix>?recurse (100 pairs) under
// concurrent load, each against a bare node:http server sending the very same bytes, in one run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { fmt, printTable } from './stats.js';
import { wrk, type WrkResult } from './wrk.js';

const PAIRS = 100;

async function side(agent: AgentProcess, tmp: string, path: string, name: string, opts: { seconds: number; connections: number }): Promise<{ bare: WrkResult; isthmus: WrkResult; bytes: number }> {
  const body = Buffer.from(await (await fetch(agent.httpAddr + path)).arrayBuffer());
  const bodyFile = join(tmp, `kv-${name}.json`);
  writeFileSync(bodyFile, body);
  const bare = await startBare('serve', bodyFile);
  try {
    const load = (url: string, seconds: number): Promise<WrkResult> => wrk(url, { seconds, connections: opts.connections, threads: 2 });
    await load(`http://127.0.0.1:${bare.port}${path}`, 1);
    await load(agent.httpAddr + path, 1);
    const bs: WrkResult[] = [];
    const is: WrkResult[] = [];
    for (let round = 0; round < 2; round++) {
      bs.push(await load(`http://127.0.0.1:${bare.port}${path}`, opts.seconds));
      is.push(await load(agent.httpAddr + path, opts.seconds));
    }
    const best = (rs: WrkResult[]): WrkResult => rs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    return { bare: best(bs), isthmus: best(is), bytes: body.length };
  } finally {
    await stop(bare.proc);
  }
}

export async function benchKv(agent: AgentProcess, tmp: string, opts: { seconds: number; connections: number }): Promise<Record<string, number>> {
  const value = 'x'.repeat(1024);
  for (let i = 0; i < PAIRS; i++) {
    const r = await fetch(`${agent.httpAddr}/v1/kv/bench/${String(i).padStart(3, '0')}`, { method: 'PUT', body: value });
    if (r.status !== 200) throw new Error(`kv put failed: ${r.status}`);
  }
  const one = await side(agent, tmp, '/v1/kv/bench/042', 'one', opts);
  const tree = await side(agent, tmp, '/v1/kv/bench/?recurse', 'tree', opts);
  const rows: (string | number)[][] = [];
  for (const [label, s] of [
    ['one key', one],
    [`?recurse (${PAIRS} pairs)`, tree],
  ] as const) {
    rows.push([`${label}: bare node:http (same ${fmt(s.bytes / 1024, 1)} KiB)`, fmt(s.bare.reqPerSec), fmt(s.bare.p50Ms, 2), fmt(s.bare.p99Ms, 2), s.bare.errors]);
    rows.push([`${label}: isthmus`, fmt(s.isthmus.reqPerSec), fmt(s.isthmus.p50Ms, 2), fmt(s.isthmus.p99Ms, 2), s.isthmus.errors]);
  }
  printTable(`GET /v1/kv — wrk -t2 -c${opts.connections}, ${opts.seconds}s × 2 rounds each (best round)`, ['server', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows);
  const r1 = one.isthmus.reqPerSec / one.bare.reqPerSec;
  const r2 = tree.isthmus.reqPerSec / tree.bare.reqPerSec;
  console.log(`ratio isthmus/bare: one key ${fmt(r1, 2)}, recurse ${fmt(r2, 2)}`);
  return { kv_get_rps: one.isthmus.reqPerSec, kv_get_ratio: r1, kv_recurse_rps: tree.isthmus.reqPerSec, kv_recurse_ratio: r2 };
}
