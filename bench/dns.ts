// Benchmark: UDP DNS SRV lookups of a 40-instance service (EDNS 4096, so answers are trimmed to the
// buffer) against the agent, and against a bare UDP server replying the same bytes (baseline).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { AgentProcess } from '../test/support/agent-process.js';
import { stop } from './processes.js';
import { fmt, percentile, printTable } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const INSTANCES = 40;

function query(id: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'SRV', name: 'bench-dns.service.consul' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.OptAnswer],
  });
}

/** Keeps `inflight` queries outstanding for `seconds`; returns answers per second and latencies (ms). */
function load(port: number, seconds: number, inflight: number): Promise<{ perSecond: number; latencies: number[] }> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const sent = new Map<number, number>();
    const latencies: number[] = [];
    let next = 1;
    let done = 0;
    const end = performance.now() + seconds * 1000;
    const send = (): void => {
      const id = next++ & 0xffff;
      sent.set(id, performance.now());
      sock.send(query(id), port, '127.0.0.1');
    };
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const t = sent.get(id);
      if (t === undefined) return;
      sent.delete(id);
      latencies.push(performance.now() - t);
      done++;
      if (performance.now() < end) send();
      else if (sent.size === 0) finish();
    });
    // A lost datagram must not stall the run: top up the window periodically.
    const refill = setInterval(() => {
      const now = performance.now();
      for (const [id, t] of sent) if (now - t > 1000) sent.delete(id);
      if (now < end) while (sent.size < inflight) send();
      else finish();
    }, 200);
    let finished = false;
    const started = performance.now();
    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(refill);
      sock.close();
      resolve({ perSecond: done / ((performance.now() - started) / 1000), latencies: latencies.sort((a, b) => a - b) });
    }
    sock.bind(0, '127.0.0.1', () => {
      for (let i = 0; i < inflight; i++) send();
    });
  });
}

export async function benchDns(agent: AgentProcess, tmp: string, opts: { seconds: number }): Promise<Record<string, number>> {
  for (let i = 0; i < INSTANCES; i++) {
    const r = await fetch(`${agent.httpAddr}/v1/catalog/register`, {
      method: 'PUT',
      body: JSON.stringify({ Node: `bench-dns-node-${i}`, Address: `10.7.0.${i + 1}`, NodeMeta: { rack: `r${i % 4}` }, Service: { ID: `bench-dns-${i}`, Service: 'bench-dns', Port: 9000 + i } }),
    });
    if (r.status !== 200) throw new Error(`register refused: ${r.status}`);
  }
  // The baseline replies with the agent's own answer bytes.
  const sample = await new Promise<Buffer>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => reject(new Error('no DNS answer from the agent')), 5000);
    s.once('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(query(1), agent.dnsPort, '127.0.0.1');
  });
  const file = join(tmp, 'dns-answer.bin');
  writeFileSync(file, sample);
  const bare = spawn(process.execPath, [join(HERE, 'bare-dns.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const barePort = await new Promise<number>((resolve, reject) => {
    let out = '';
    bare.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    bare.once('exit', (c) => reject(new Error(`bare DNS server exited with ${c}`)));
  });
  try {
    await load(agent.dnsPort, 1, 16);
    const b = await load(barePort, opts.seconds, 16);
    const a = await load(agent.dnsPort, opts.seconds, 16);
    const answers = dnsPacket.decode(sample).answers?.length ?? 0;
    printTable(`DNS SRV, ${INSTANCES} instances, EDNS 4096 (${answers} answers, ${sample.length} bytes), 16 in flight`, ['what', 'p50 ms', 'p99 ms', 'per second'], [
      ['bare UDP server, same bytes', fmt(percentile(b.latencies, 50), 2), fmt(percentile(b.latencies, 99), 2), fmt(b.perSecond, 0)],
      ['isthmus DNS', fmt(percentile(a.latencies, 50), 2), fmt(percentile(a.latencies, 99), 2), fmt(a.perSecond, 0)],
    ]);
    console.log(`ratio isthmus/bare answers/s: ${fmt(a.perSecond / b.perSecond, 3)}`);
    return { dnsSrvPerSec: a.perSecond, bareDnsPerSec: b.perSecond, dnsSrvP99ms: percentile(a.latencies, 99) };
  } finally {
    await stop(bare);
  }
}
