// Benchmark: intention decisions with 10,000 intentions — the pure matcher per call, and
// GET /v1/connect/intentions/check under load against a bare node:http server with the same body.
import autocannon from 'autocannon';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decide, IntentionIndex } from '../src/server/intentions/match.js';
import { intentionPrecedence } from '../src/server/intentions/precedence.js';
import type { Intention } from '../src/server/intentions/types.js';
import type { AgentProcess } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { fmt, percentile, printTable } from './stats.js';

export const INTENTIONS = 10_000;
const DESTINATIONS = 1_000;

function synthetic(): Intention[] {
  const out: Intention[] = [];
  for (let i = 0; i < INTENTIONS; i++) {
    const dst = `svc-${i % DESTINATIONS}`;
    const src = i < DESTINATIONS && i % 50 === 0 ? '*' : `caller-${i}`;
    out.push({ ID: '', Description: '', SourceName: src, SourcePeer: i % 7 === 0 ? 'west' : '', DestinationName: dst, SourceType: 'consul', Action: i % 3 ? 'allow' : 'deny', Permissions: [], Meta: {}, Precedence: intentionPrecedence(src, dst), CreateIndex: 1, ModifyIndex: 1 });
  }
  return out;
}

export async function benchIntentions(agent: AgentProcess, tmp: string, opts: { seconds: number }): Promise<Record<string, number>> {
  // Pure matcher.
  const all = synthetic();
  const t0 = performance.now();
  const index = new IntentionIndex(all);
  const buildMs = performance.now() - t0;
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const s = performance.now();
    decide(index, { name: `caller-${(i * 7919) % INTENTIONS}` }, `svc-${i % DESTINATIONS}`, { defaultAllow: false });
    samples.push((performance.now() - s) * 1000);
  }
  samples.sort((a, b) => a - b);

  // Through the API: load 10,000 intentions as service-intentions entries (10 sources × 1,000 destinations).
  const byDest = new Map<string, Intention[]>();
  for (const i of all) byDest.set(i.DestinationName, [...(byDest.get(i.DestinationName) ?? []), i]);
  const entries = [...byDest.entries()];
  for (let i = 0; i < entries.length; i += 50) {
    await Promise.all(
      entries.slice(i, i + 50).map(([dst, list]) =>
        fetch(`${agent.httpAddr}/v1/config`, {
          method: 'PUT',
          body: JSON.stringify({ Kind: 'service-intentions', Name: dst, Sources: list.map((x) => ({ Name: x.SourceName, ...(x.SourcePeer ? { Peer: x.SourcePeer } : {}), Action: x.Action })) }),
        }).then((r) => {
          if (r.status !== 200) throw new Error(`intention entry refused: ${r.status}`);
        }),
      ),
    );
  }
  const path = '/v1/connect/intentions/check?source=caller-1&destination=svc-1';
  const body = Buffer.from(await (await fetch(agent.httpAddr + path)).arrayBuffer());
  const bodyFile = join(tmp, 'check-body.json');
  writeFileSync(bodyFile, body);
  const bare = await startBare('serve', bodyFile);
  try {
    await autocannon({ url: agent.httpAddr + path, connections: 16, duration: 1 });
    const b = await autocannon({ url: `http://127.0.0.1:${bare.port}${path}`, connections: 16, duration: opts.seconds });
    const i = await autocannon({ url: agent.httpAddr + path, connections: 16, duration: opts.seconds });
    printTable(`Intention check with ${INTENTIONS} intentions`, ['what', 'p50', 'p99', 'per second'], [
      ['pure decide() (µs per call)', fmt(percentile(samples, 50), 2), fmt(percentile(samples, 99), 2), fmt(1e6 / (samples.reduce((a, x) => a + x, 0) / samples.length), 0)],
      ['bare node:http, same body (ms)', b.latency.p50, b.latency.p99, fmt(b.requests.average)],
      ['GET /v1/connect/intentions/check (ms)', i.latency.p50, i.latency.p99, fmt(i.requests.average)],
    ]);
    console.log(`index build: ${fmt(buildMs, 1)} ms; ratio isthmus/bare req/s: ${fmt(i.requests.average / b.requests.average, 3)}`);
    return { decideP50us: percentile(samples, 50), decideP99us: percentile(samples, 99), checkReqPerSec: i.requests.average, bareCheckReqPerSec: b.requests.average, checkP99ms: i.latency.p99 };
  } finally {
    await stop(bare.proc);
  }
}
