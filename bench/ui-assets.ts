// Benchmark: the web UI's JavaScript bundle served by the agent (from memory, through the route table)
// against a bare node:http server sending the very same bytes, measured back to back in one run.
import autocannon from 'autocannon';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentProcess } from '../test/support/agent-process.js';
import { startBare, stop } from './processes.js';
import { fmt, printTable } from './stats.js';

const load = (url: string, seconds: number, connections: number, headers: Record<string, string> = {}): Promise<autocannon.Result> =>
  autocannon({ url, connections, duration: seconds, pipelining: 1, headers });

export async function benchUiAssets(agent: AgentProcess, tmp: string, opts: { seconds: number; connections: number }): Promise<Record<string, number>> {
  const html = await (await fetch(`${agent.httpAddr}/ui/`)).text();
  const js = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (!js) throw new Error('the agent serves no UI bundle: run npm run build');
  const body = Buffer.from(await (await fetch(agent.httpAddr + js, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
  const bodyFile = join(tmp, 'ui-bundle.js');
  writeFileSync(bodyFile, body);
  const bare = await startBare('serve', bodyFile);
  try {
    await load(`http://127.0.0.1:${bare.port}${js}`, 1, opts.connections);
    await load(agent.httpAddr + js, 1, opts.connections);
    const b = await load(`http://127.0.0.1:${bare.port}${js}`, opts.seconds, opts.connections);
    const i = await load(agent.httpAddr + js, opts.seconds, opts.connections);
    const gz = await load(agent.httpAddr + js, opts.seconds, opts.connections, { 'accept-encoding': 'gzip' });
    const ratio = i.requests.average / b.requests.average;
    printTable(
      `GET ${js} — ${fmt(body.length / 1024, 0)} KiB bundle, ${opts.connections} connections, ${opts.seconds}s each`,
      ['server', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'errors'],
      [
        ['bare node:http (same bytes)', fmt(b.requests.average), fmt(b.throughput.average / 1048576), b.latency.p50, b.latency.p99, b.errors + b.non2xx],
        ['isthmus', fmt(i.requests.average), fmt(i.throughput.average / 1048576), i.latency.p50, i.latency.p99, i.errors + i.non2xx],
        ['isthmus, gzip (precompressed)', fmt(gz.requests.average), fmt(gz.throughput.average / 1048576), gz.latency.p50, gz.latency.p99, gz.errors + gz.non2xx],
      ],
    );
    console.log(`ratio isthmus/bare req/s: ${fmt(ratio, 3)}`);
    return { uiAssetReqPerSec: i.requests.average, uiAssetGzipReqPerSec: gz.requests.average, uiBareReqPerSec: b.requests.average, uiAssetRatio: ratio };
  } finally {
    await stop(bare.proc);
  }
}
