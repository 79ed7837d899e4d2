// Benchmarks of cluster peering between two real agents: establish → both ACTIVE, bulk replication
// (instances/s, peak RSS), and health-change propagation (p50/p99) — each next to the same work over
// a bare gRPC stream on loopback, measured in the same run.
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

    // 2. Bulk replication of services × instances exported at once.
    const total = opts.services * opts.perService;
    const regs: Promise<Response>[] = [];
    for (let s = 0; s < opts.services; s++) {
      for (let i = 0; i < opts.perService; i++) {
        regs.push(call(A, 'PUT', '/v1/catalog/register', { Node: `n${i}`, Address: `10.0.${i}.1`, Service: { Service: `svc-${s}`, ID: `svc-${s}-${i}`, Port: 8080, Tags: ['v1'] }, Check: { CheckID: `c-${s}-${i}`, Name: 'alive', Status: 'passing', ServiceID: `svc-${s}-${i}` } }));
        if (regs.length >= 64) await Promise.all(regs.splice(0));
      }
    }
    await Promise.all(regs);
    const t0 = performance.now();
    await call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: '*', Consumers: [{ Peer: 'b0' }] }] });
    // Each service's instances arrive in one transaction, so all names present = all instances present.
    await waitUntil(async () => Object.keys((await (await call(B, 'GET', '/v1/catalog/services?peer=a0')).json()) as object).length >= opts.services, 600_000, 'bulk replication');
    const secs = (performance.now() - t0) / 1000;
    const seen = ((await (await call(B, 'GET', '/v1/health/state/any?peer=a0')).json()) as unknown[]).length;
    if (seen !== total) throw new Error(`bench: expected ${total} imported instances, found ${seen}`);
    const perSec = total / secs;
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
    printTable(`Bulk replication: ${opts.services} services × ${opts.perService} instances exported at once`, ['what', 'seconds', 'instances/s', 'peak RSS A (MiB)', 'peak RSS B (MiB)'], [
      ['bare gRPC stream, same payloads, acked', fmt(bareSecs, 2), fmt(total / bareSecs, 0), '', ''],
      ['isthmus: export → all visible on the peer', fmt(secs, 2), fmt(perSec, 0), fmt(peakRssMiB(A.proc.pid), 0), fmt(peakRssMiB(B.proc.pid), 0)],
    ]);
    console.log(`ratio isthmus/bare instances/s: ${fmt(perSec / (total / bareSecs), 3)}`);
    out.bulkInstancesPerSec = perSec;
    out.bareInstancesPerSec = total / bareSecs;
    out.peakRssAMiB = peakRssMiB(A.proc.pid);
    out.peakRssBMiB = peakRssMiB(B.proc.pid);

    // 3. Propagation of one health change, observed with a blocking query on the peer.
    await call(A, 'PUT', '/v1/agent/service/register', { Name: 'probe', Check: { CheckID: 'probe-ttl', TTL: '10m', Status: 'passing' } });
    await call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'probe', Consumers: [{ Peer: 'b0' }] }] });
    const statusOnB = async (): Promise<{ status?: string; index: number }> => {
      const r = await call(B, 'GET', '/v1/health/service/probe?peer=a0');
      const body = (await r.json()) as { Checks: { Status: string }[] }[];
      return { status: body[0]?.Checks[0]?.Status, index: Number(r.headers.get('x-consul-index')) };
    };
    await waitUntil(async () => (await statusOnB()).status === 'passing', 60_000, 'probe on B');
    const lat: number[] = [];
    const rtt: number[] = [];
    const one = payload(1, 'probe');
    for (let i = 0; i < opts.changes; i++) {
      const want = i % 2 === 0 ? 'critical' : 'passing';
      let { index } = await statusOnB();
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
    }
    lat.sort((a, b) => a - b);
    rtt.sort((a, b) => a - b);
    printTable(`Propagation: one health change on A → visible on B (${opts.changes} changes, ms)`, ['what', 'p50', 'p99'], [
      ['bare gRPC round trip of the same payload', fmt(percentile(rtt, 50), 2), fmt(percentile(rtt, 99), 2)],
      ['isthmus: HTTP write on A → blocking read on B returns', fmt(percentile(lat, 50), 2), fmt(percentile(lat, 99), 2)],
    ]);
    console.log(`ratio isthmus/bare: p50 ${fmt(percentile(lat, 50) / percentile(rtt, 50), 1)}, p99 ${fmt(percentile(lat, 99) / percentile(rtt, 99), 1)}`);
    out.propagationP50Ms = percentile(lat, 50);
    out.propagationP99Ms = percentile(lat, 99);
  } finally {
    client.close();
    bare.server.forceShutdown();
    await Promise.all([A.stop(), B.stop()]);
  }
  return out;
}
