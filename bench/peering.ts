// Benchmarks of cluster peering between two real agents (five peerings between them): establish →
// both ACTIVE, health-change propagation with a small and a large exported catalog (p50/p99), bulk
// replication (instances/s, peak RSS) — each next to the same work over a bare gRPC stream on
// loopback, measured in the same run.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { create, toBinary } from '@bufbuild/protobuf';
import { ExportedServiceSchema } from '../src/gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { startAgent, type AgentProcess } from '../test/support/agent-process.js';
import { fmt, percentile, printTable } from './stats.js';

async function call(a: AgentProcess, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(a.httpAddr + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function peakRssMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Seconds a process's main thread spent on a CPU and waiting for one (Linux schedstat), for where bulk time goes. */
function schedSecs(pid: number | undefined): { cpu: number; wait: number } {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { cpu: (cpu ?? NaN) / 1e9, wait: (wait ?? NaN) / 1e9 };
  } catch {
    return { cpu: NaN, wait: NaN };
  }
}

/** A bare gRPC server on loopback with an echo-ack bidi stream and a unary echo (the bound). */
async function bareGrpc(): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const id = (b: Buffer): Buffer => b;
  server.addService(
    {
      stream: { path: '/bench.Bare/Stream', requestStream: true, responseStream: true, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
      echo: { path: '/bench.Bare/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id },
    },
    {
      stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', () => call.write(Buffer.from('k')));
        call.on('end', () => call.end());
      },
      echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
    },
  );
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return { port, server };
}

function payload(instances: number, service: string): Buffer {
  const nodes = Array.from({ length: instances }, (_, i) => ({
    Node: { Node: `node-${service}-${i}`, Address: '10.0.0.1', Datacenter: 'east', TaggedAddresses: { lan: '10.0.0.1' }, Meta: { zone: 'a' } },
    Service: { ID: `${service}-${i}`, Service: service, Port: 8080, Tags: ['v1'], Weights: { Passing: 1, Warning: 1 }, Meta: { version: '1' } },
    Checks: [{ Node: `node-${service}-${i}`, CheckID: `${service}-${i}:overall-check`, Name: 'overall-check', Status: 'passing', ServiceID: `${service}-${i}`, ServiceName: service }],
  }));
  return Buffer.from(toBinary(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: nodes })));
}

export async function benchPeering(opts: { services: number; perService: number; changes: number }): Promise<Record<string, number>> {
  const [A, B] = await Promise.all([startAgent(['--dev', '--node', 'a', '--datacenter', 'east', '--log-level', 'warn']), startAgent(['--dev', '--node', 'b', '--datacenter', 'west', '--log-level', 'warn'])]);
  const bare = await bareGrpc();
  const client = new grpc.Client(`127.0.0.1:${bare.port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const id = (b: Buffer): Buffer => b;
  const out: Record<string, number> = {};
  try {
    // 1. Establish → both ACTIVE, against a fresh bare gRPC connection + one round trip.
    const establish: number[] = [];
    const bareConnect: number[] = [];
    for (let i = 0; i < 5; i++) {
      const token = ((await (await call(A, 'POST', '/v1/peering/token', { PeerName: `b${i}` })).json()) as { PeeringToken: string }).PeeringToken;
      const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: `a${i}`, PeeringToken: token });
      if (r.status !== 200) throw new Error(`establish failed: ${await r.text()}`);
      const t0 = performance.now();
      const active = async (a: AgentProcess, n: string): Promise<boolean> => ((await (await call(a, 'GET', `/v1/peering/${n}`)).json()) as { State: string }).State === 'ACTIVE';
      await waitUntil(async () => (await active(A, `b${i}`)) && (await active(B, `a${i}`)), 30_000, 'ACTIVE');
      establish.push(performance.now() - t0);
      const c0 = performance.now();
      const fresh = new grpc.Client(`127.0.0.1:${bare.port}`, grpc.credentials.createInsecure());
      await new Promise<void>((res, rej) => fresh.makeUnaryRequest('/bench.Bare/Echo', id, id, Buffer.from('x'), (e) => (e ? rej(e) : res())));
      bareConnect.push(performance.now() - c0);
      fresh.close();
    }
    establish.sort((a, b) => a - b);
    bareConnect.sort((a, b) => a - b);
    printTable('Establish: `establish` returned → both sides ACTIVE (5 peerings, ms)', ['what', 'p50', 'max'], [
      ['bare gRPC: new connection + one round trip', fmt(percentile(bareConnect, 50)), fmt(bareConnect[bareConnect.length - 1] ?? NaN)],
      ['isthmus: establish → ACTIVE on both sides', fmt(percentile(establish, 50)), fmt(establish[establish.length - 1] ?? NaN)],
    ]);
    out.establishP50Ms = percentile(establish, 50);

    // The exporter's catalog: `services` × `perService` instances, one of them the TTL-checked probe.
    const total = opts.services * opts.perService;
    const register = async (from: number, to: number): Promise<void> => {
      const regs: Promise<Response>[] = [];
      for (let s = from; s < to; s++) {
        for (let i = 0; i < opts.perService; i++) {
          regs.push(call(A, 'PUT', '/v1/catalog/register', { Node: `n${i}`, Address: `10.0.${i}.1`, Service: { Service: `svc-${s}`, ID: `svc-${s}-${i}`, Port: 8080, Tags: ['v1'] }, Check: { CheckID: `c-${s}-${i}`, Name: 'alive', Status: 'passing', ServiceID: `svc-${s}-${i}` } }));
          if (regs.length >= 64) await Promise.all(regs.splice(0));
        }
      }
      await Promise.all(regs);
    };
    const exportTo = (peers: string[]): Promise<Response> => call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: peers.length ? [{ Name: '*', Consumers: peers.map((Peer) => ({ Peer })) }] : [] });
    // Polled every 50 ms: rendering 5,000 names on the peer after every import batch (a blocking
    // query, or a tight poll) would make the observer the peer's main cost.
    const servicesOn = async (peer: string): Promise<number> => {
      await new Promise((r) => setTimeout(r, 45));
      return Object.keys((await (await call(B, 'GET', `/v1/catalog/services?peer=${peer}`)).json()) as object).length;
    };
    const allPeers = ['b0', 'b1', 'b2', 'b3', 'b4'];
    await call(A, 'PUT', '/v1/agent/service/register', { Name: 'probe', Check: { CheckID: 'probe-ttl', TTL: '10m', Status: 'passing' } });

    // Propagation of one health change to the peer, observed with a blocking query on the peer.
    const statusOnB = async (): Promise<{ status?: string; index: number }> => {
      const r = await call(B, 'GET', '/v1/health/service/probe?peer=a0');
      const body = (await r.json()) as { Checks: { Status: string }[] }[];
      return { status: body[0]?.Checks[0]?.Status, index: Number(r.headers.get('x-consul-index')) };
    };
    const one = payload(1, 'probe');
    const propagation = async (): Promise<{ lat: number[]; rtt: number[] }> => {
      await waitUntil(async () => (await statusOnB()).status !== undefined, 120_000, 'probe on B');
      const lat: number[] = [];
      const rtt: number[] = [];
      for (let i = 0; i < opts.changes; i++) {
        let { index, status } = await statusOnB();
        const want = status === 'passing' ? 'critical' : 'passing';
        const s0 = performance.now();
        await call(A, 'PUT', `/v1/agent/check/${want === 'critical' ? 'fail' : 'pass'}/probe-ttl`);
        for (;;) {
          const r = await call(B, 'GET', `/v1/health/service/probe?peer=a0&index=${index}&wait=10s`);
          const body = (await r.json()) as { Checks: { Status: string }[] }[];
          index = Number(r.headers.get('x-consul-index'));
          if (body[0]?.Checks[0]?.Status === want) break;
        }
        lat.push(performance.now() - s0);
        const e0 = performance.now();
        await new Promise<void>((res, rej) => client.makeUnaryRequest('/bench.Bare/Echo', id, id, one, (e) => (e ? rej(e) : res())));
        rtt.push(performance.now() - e0);
        status = want;
      }
      return { lat: lat.sort((a, b) => a - b), rtt: rtt.sort((a, b) => a - b) };
    };

    // 2. Small catalog: 50 services × perService exported to 5 peers.
    const small = Math.min(50, opts.services);
    await register(0, small - 1);
    await exportTo(allPeers);
    for (let p = 0; p < allPeers.length; p++) await waitUntil(async () => (await servicesOn(`a${p}`)) >= small, 120_000, `small export on a${p}`);
    const pSmall = await propagation();

    // 3. Bulk: the rest registered while unexported, then everything exported at once to one peer.
    await exportTo([]);
    await waitUntil(async () => (await servicesOn('a0')) === 0, 120_000, 'unexport');
    const r0 = performance.now();
    await register(small - 1, opts.services - 1);
    const registerSecs = (performance.now() - r0) / 1000;
    const schedA0 = schedSecs(A.proc.pid);
    const schedB0 = schedSecs(B.proc.pid);
    const t0 = performance.now();
    await exportTo(['b0']);
    // Services commit in batches with all their instances, so all names present = all instances present.
    await waitUntil(async () => (await servicesOn('a0')) >= opts.services, 600_000, 'bulk replication');
    const secs = (performance.now() - t0) / 1000;
    const schedA = schedSecs(A.proc.pid);
    const schedB = schedSecs(B.proc.pid);
    const seen = ((await (await call(B, 'GET', '/v1/health/state/any?peer=a0')).json()) as unknown[]).length;
    const expected = (opts.services - 1) * opts.perService + 1;
    if (seen !== expected) throw new Error(`bench: expected ${expected} imported instances, found ${seen}`);
    const perSec = expected / secs;
    const rssA = peakRssMiB(A.proc.pid);
    const rssB = peakRssMiB(B.proc.pid);
    // Bound: the same number of ExportedService messages over one bare gRPC stream, each acked.
    const msgs = Array.from({ length: opts.services }, (_, s) => payload(opts.perService, `svc-${s}`));
    const b0 = performance.now();
    await new Promise<void>((res, rej) => {
      const st = client.makeBidiStreamRequest('/bench.Bare/Stream', id, id);
      let acks = 0;
      st.on('data', () => {
        if (++acks === msgs.length) st.end();
      });
      st.on('end', res);
      st.on('error', rej);
      for (const m of msgs) st.write(m);
    });
    const bareSecs = (performance.now() - b0) / 1000;
    printTable(`Bulk replication: ${opts.services} services × ${opts.perService} instances (${expected}) exported at once to one peer`, ['what', 'seconds', 'instances/s', 'peak RSS A (MiB)', 'peak RSS B (MiB)'], [
      ['bare gRPC stream, same payloads, acked', fmt(bareSecs, 2), fmt(total / bareSecs, 0), '', ''],
      ['isthmus: export → all visible on the peer', fmt(secs, 2), fmt(perSec, 0), fmt(rssA, 0), fmt(rssB, 0)],
    ]);
    console.log(`ratio isthmus/bare instances/s: ${fmt(perSec / (total / bareSecs), 3)} (registering the ${total} instances over HTTP took ${fmt(registerSecs, 1)} s)`);
    const cpuA = schedA.cpu - schedA0.cpu;
    const cpuB = schedB.cpu - schedB0.cpu;
    console.log(
      `bulk window ${fmt(secs, 2)} s: exporter main thread on CPU ${fmt(cpuA, 2)} s (waiting for a CPU ${fmt(schedA.wait - schedA0.wait, 2)} s), importer on CPU ${fmt(cpuB, 2)} s (waiting ${fmt(schedB.wait - schedB0.wait, 2)} s): ${fmt((cpuA / expected) * 1e6, 1)} / ${fmt((cpuB / expected) * 1e6, 1)} µs of CPU per instance`,
    );
    out.bulkSeconds = secs;
    out.bulkInstancesPerSec = perSec;
    out.bareInstancesPerSec = total / bareSecs;
    out.peakRssAMiB = rssA;
    out.peakRssBMiB = rssB;
    out.registerSeconds = registerSecs;
    out.bulkCpuExporterSecs = cpuA;
    out.bulkCpuImporterSecs = cpuB;

    // 4. Large catalog: everything exported to all 5 peers, then the same health changes.
    await exportTo(allPeers);
    for (let p = 0; p < allPeers.length; p++) await waitUntil(async () => (await servicesOn(`a${p}`)) >= opts.services, 600_000, `full export on a${p}`);
    const pLarge = await propagation();
    printTable(`Propagation: one health change on A → visible on B, exported to 5 peers (${opts.changes} changes each, ms)`, ['what', 'p50', 'p99'], [
      ['bare gRPC round trip of the same payload', fmt(percentile(pLarge.rtt, 50), 2), fmt(percentile(pLarge.rtt, 99), 2)],
      [`isthmus, ${small} services × ${opts.perService}`, fmt(percentile(pSmall.lat, 50), 2), fmt(percentile(pSmall.lat, 99), 2)],
      [`isthmus, ${opts.services} services × ${opts.perService}`, fmt(percentile(pLarge.lat, 50), 2), fmt(percentile(pLarge.lat, 99), 2)],
    ]);
    console.log(`ratio ${opts.services} vs ${small} services: p50 ${fmt(percentile(pLarge.lat, 50) / percentile(pSmall.lat, 50), 2)}, p99 ${fmt(percentile(pLarge.lat, 99) / percentile(pSmall.lat, 99), 2)}; isthmus/bare round trip p99 ${fmt(percentile(pLarge.lat, 99) / percentile(pLarge.rtt, 99), 1)}`);
    out.propagationSmallP50Ms = percentile(pSmall.lat, 50);
    out.propagationSmallP99Ms = percentile(pSmall.lat, 99);
    out.propagationP50Ms = percentile(pLarge.lat, 50);
    out.propagationP99Ms = percentile(pLarge.lat, 99);
    out.peakRssBAllPeersMiB = peakRssMiB(B.proc.pid);
  } finally {
    client.close();
    bare.server.forceShutdown();
    await Promise.all([A.stop(), B.stop()]);
  }
  return out;
}
