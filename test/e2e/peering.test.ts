// Cluster peering end to end between two real `isthmus agent` processes with TLS gRPC (issue 5).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PeerStreamService, type ReplicationMessage } from '../../src/gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { serviceDefinition } from '../../src/server/grpc/codec.js';
import { runCli, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { dnsQuery } from '../support/dns.js';
import { call, peering, stateIs } from '../support/peering-api.js';

type Obj = Record<string, unknown>;
const dir = tempDir('peering');
const cfg = join(dir.path, 'fast.json');
writeFileSync(cfg, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' } }));

let A: AgentProcess; // acceptor, datacenter east
let B: AgentProcess; // dialer, datacenter west
const dataA = join(dir.path, 'a');
const dataB = join(dir.path, 'b');
// The acceptor keeps its gRPC port across restarts, as a real server does: dialers hold its address.
let grpcPortA = '0';
const startA = async (): Promise<AgentProcess> => {
  const a = await startAgent(['--data-dir', dataA, '--node', 'a1', '--datacenter', 'east', '--config-file', cfg, '--grpc-tls-port', grpcPortA]);
  grpcPortA = a.grpcAddr.split(':')[1] as string;
  return a;
};
const startB = (): Promise<AgentProcess> => startAgent(['--data-dir', dataB, '--node', 'b1', '--datacenter', 'west', '--config-file', cfg]);

const imported = async (a: AgentProcess, svc: string, peer = 'east'): Promise<{ Node: Obj; Service: Obj; Checks: Obj[] }[]> =>
  (await call(a, 'GET', `/v1/health/service/${svc}?peer=${peer}`)).json() as { Node: Obj; Service: Obj; Checks: Obj[] }[];
const register = (a: AgentProcess, body: unknown) => call(a, 'PUT', '/v1/agent/service/register', body);
const exportTo = (a: AgentProcess, services: { Name: string; Consumers: { Peer: string }[] }[]) => call(a, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: services });

let firstToken = '';

before(async () => {
  [A, B] = await Promise.all([startA(), startB()]);
});
after(async () => {
  await Promise.all([A.stop(), B.stop()]);
  dir.remove();
});

describe('peering two clusters', () => {
  it('generates on A, establishes on B with the CLI, and both become ACTIVE', async () => {
    const gen = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', A.httpAddr]);
    assert.equal(gen.code, 0, gen.stderr);
    firstToken = gen.stdout.trim();
    assert.match(firstToken, /^eyJDQSI6/, 'base64 of {"CA":...');
    const decoded = JSON.parse(Buffer.from(firstToken, 'base64').toString()) as Obj;
    assert.deepEqual(Object.keys(decoded), ['CA', 'ManualServerAddresses', 'ServerAddresses', 'ServerName', 'PeerID', 'EstablishmentSecret', 'Remote']);
    const est = runCli(['peering', 'establish', '--name', 'east', '--peering-token', firstToken, '--http-addr', B.httpAddr]);
    assert.equal(est.code, 0, est.stderr);
    assert.equal(est.stdout.trim(), 'Successfully established peering connection with east');
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE');
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE');
    const b = (await peering(B, 'east')) as Obj;
    assert.equal((b.Remote as Obj).Datacenter, 'east');
    assert.match(String(b.PeerServerName), /^server\.east\.peering\.[0-9a-f-]{36}\.consul$/);
    const a = (await peering(A, 'west')) as Obj;
    assert.equal((a.Remote as Obj).Datacenter, 'west', 'the acceptor learns the dialer from Open');
    assert.ok(!('PeerID' in a), 'acceptor records carry no PeerID');
  });

  it('refuses a reused token with 403 and the exact text', async () => {
    const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'east', PeeringToken: firstToken });
    assert.equal(r.status, 403);
    assert.equal(r.text, 'rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret');
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'still ACTIVE');
  });

  it('replicates an exported service with its health to B under PeerName', async () => {
    await register(A, { Name: 'web', ID: 'web-1', Port: 8080, Tags: ['v1'], Check: { CheckID: 'web-ttl', TTL: '10m', Status: 'passing' } });
    await register(A, { Name: 'db', Port: 5432 });
    assert.equal((await exportTo(A, [{ Name: 'web', Consumers: [{ Peer: 'west' }] }])).status, 200);
    const got = await waitFor(async () => ((await imported(B, 'web')).length === 1 ? imported(B, 'web') : undefined), 'web on B');
    const e = got[0] as { Node: Obj; Service: Obj; Checks: Obj[] };
    assert.equal(e.Service.PeerName, 'east');
    assert.equal(e.Node.PeerName, 'east');
    assert.equal(e.Service.Port, 8080);
    assert.deepEqual(e.Checks.map((c) => [c.CheckID, c.Name, c.Status, c.PeerName]), [['web-1:overall-check', 'overall-check', 'passing', 'east']]);
    assert.deepEqual(await imported(B, 'db'), [], 'only what was exported');
    assert.deepEqual((await call(B, 'GET', '/v1/health/service/web')).json(), [], 'local keyspace untouched');
    const svcs = (await call(B, 'GET', '/v1/catalog/services?peer=east')).json() as Obj;
    assert.deepEqual(Object.keys(svcs), ['web']);
    await waitFor(async () => (((await peering(B, 'east')) as { StreamStatus: { ImportedServices: string[] } }).StreamStatus.ImportedServices?.includes('web') ? true : undefined), 'ImportedServices');
    await waitFor(async () => (((await peering(A, 'west')) as { StreamStatus: Obj }).StreamStatus.LastHeartbeat !== null ? true : undefined), 'heartbeats on A');
    await waitFor(async () => (((await peering(A, 'west')) as { StreamStatus: { ExportedServices: string[] } }).StreamStatus.ExportedServices?.includes('web') ? true : undefined), 'ExportedServices on A');
  });

  it('answers DNS for imported services (<svc>.service.<peer>.peer.consul)', async () => {
    const a = await dnsQuery(B.dnsPort, 'web.service.east.peer.consul', 'A');
    const data = (p: unknown): unknown[] => ((p as { answers?: { data: unknown }[] }).answers ?? []).map((x) => x.data);
    assert.deepEqual(data(a), ['127.0.0.1']);
    const srv = await dnsQuery(B.dnsPort, '_web._v1.service.east.peer.consul', 'SRV');
    assert.equal((data(srv)[0] as { port: number }).port, 8080);
    // The SRV target (<node>.node.<peer>.peer.consul) resolves, as resolvers following it expect.
    const target = (data(srv)[0] as { target: string }).target;
    assert.match(target, /\.node\.east\.peer\.consul$/);
    assert.deepEqual(data(await dnsQuery(B.dnsPort, target, 'A')), ['127.0.0.1']);
    // The servers' own `consul` service is not exported.
    assert.equal(((await dnsQuery(B.dnsPort, 'consul.service.east.peer.consul', 'A')) as { rcode?: string }).rcode, 'NXDOMAIN');
    const missing = await dnsQuery(B.dnsPort, 'db.service.east.peer.consul', 'A');
    assert.equal((missing as { rcode?: string }).rcode, 'NXDOMAIN', 'what was not exported is not there');
  });

  it('propagates a health change, a new instance and a deregistration', async () => {
    await call(A, 'PUT', '/v1/agent/check/fail/web-ttl');
    await waitFor(async () => ((await imported(B, 'web'))[0]?.Checks[0]?.Status === 'critical' ? true : undefined), 'critical on B');
    await register(A, { Name: 'web', ID: 'web-2', Port: 8081 });
    await waitFor(async () => ((await imported(B, 'web')).length === 2 ? true : undefined), 'second instance');
    await call(A, 'PUT', '/v1/agent/service/deregister/web-2');
    await waitFor(async () => ((await imported(B, 'web')).length === 1 ? true : undefined), 'deregistration');
  });

  it('removes an un-exported service from B', async () => {
    await exportTo(A, [{ Name: 'db', Consumers: [{ Peer: 'west' }] }]);
    await waitFor(async () => ((await imported(B, 'web')).length === 0 && (await imported(B, 'db')).length === 1 ? true : undefined), 'web gone, db present');
    await exportTo(A, [{ Name: 'web', Consumers: [{ Peer: 'west' }] }]);
    await waitFor(async () => ((await imported(B, 'web')).length === 1 ? true : undefined), 'web back');
  });

  it('refuses tampered tokens and wrong CAs clearly, without touching the live peering', async () => {
    const bad = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'other', PeeringToken: 'not-base64!!' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^failed to decode peering token/);
    const t = JSON.parse(Buffer.from(firstToken, 'base64').toString()) as Obj;
    const noAddr = Buffer.from(JSON.stringify({ ...t, ServerAddresses: [] })).toString('base64');
    assert.equal((await call(B, 'POST', '/v1/peering/establish', { PeerName: 'other', PeeringToken: noAddr })).text, 'peering token server addresses value is empty');
    const badAddr = Buffer.from(JSON.stringify({ ...t, ServerAddresses: ['nope'] })).toString('base64');
    assert.equal((await call(B, 'POST', '/v1/peering/establish', { PeerName: 'other', PeeringToken: badAddr })).text, 'nope is not a valid peering server address');
    const selfToken = ((await call(B, 'POST', '/v1/peering/token', { PeerName: 'selfish' })).json() as Obj).PeeringToken as string;
    const self = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'myself', PeeringToken: selfToken });
    assert.equal(self.status, 400);
    assert.match(self.text, /^cannot create a peering within the same cluster "server\.west\.peering\./);
    const foreignCa = ((await call(B, 'GET', '/v1/connect/ca/roots')).json() as { Roots: { RootCert: string }[] }).Roots.map((r) => r.RootCert);
    const fresh = ((await call(A, 'POST', '/v1/peering/token', { PeerName: 'ca-test' })).json() as Obj).PeeringToken as string;
    const wrongCa = Buffer.from(JSON.stringify({ ...(JSON.parse(Buffer.from(fresh, 'base64').toString()) as Obj), CA: foreignCa })).toString('base64');
    const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'ca-test', PeeringToken: wrongCa });
    // A TLS verification failure is not retryable with the same token: 400 naming the server name (issue 10).
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /^TLS verification of the peer failed: the server at ".+" did not present a certificate for "server\.east\.peering\./);
    await call(A, 'DELETE', '/v1/peering/ca-test');
    await call(B, 'DELETE', '/v1/peering/ca-test');
    await call(B, 'DELETE', '/v1/peering/selfish');
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'still ACTIVE');
  });

  it('refuses a wrong stream secret and a malformed first message on the gRPC port, and keeps serving', async () => {
    const aId = ((await peering(A, 'west')) as Obj).ID as string;
    const roots = ((await call(A, 'GET', '/v1/connect/ca/roots')).json() as { TrustDomain: string; Roots: { RootCert: string }[] });
    const serverName = `server.east.peering.${roots.TrustDomain}`;
    const Client = grpc.makeGenericClientConstructor(serviceDefinition(PeerStreamService), 'PeerStream');
    const client = new Client(A.grpcAddr, grpc.credentials.createSsl(Buffer.from(roots.Roots.map((r) => r.RootCert).join('\n'))), { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName });
    const open = (first: unknown): Promise<grpc.ServiceError> =>
      new Promise((resolve) => {
        const def = serviceDefinition(PeerStreamService).streamResources!;
        const s = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize as (b: Buffer) => ReplicationMessage);
        s.on('data', () => {});
        s.on('error', (e: grpc.ServiceError) => resolve(e));
        s.write(first);
      });
    const wrong = await open({ Payload: { case: 'open', value: { PeerID: aId, StreamSecretID: '00000000-0000-4000-8000-000000000000' } } });
    assert.equal(wrong.code, grpc.status.PERMISSION_DENIED);
    assert.equal(wrong.details, 'invalid peering stream secret');
    const notOpen = await open({ Payload: { case: 'heartbeat', value: {} } });
    assert.equal(notOpen.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(notOpen.details, 'first message when initiating a peering must be: Open');
    const unknown = await open({ Payload: { case: 'open', value: { PeerID: '7e1c0b8e-0000-4000-8000-000000000000', StreamSecretID: 'x' } } });
    assert.equal(unknown.details, 'initial subscription for unknown PeerID: 7e1c0b8e-0000-4000-8000-000000000000');
    client.close();
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'still ACTIVE');
  });

  it('refuses a service too large for one message with a logged error, and keeps replicating others', async () => {
    const meta: Record<string, string> = {};
    for (let i = 0; i < 60; i++) meta[`k${i}`] = 'x'.repeat(500);
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < 320; i++) batch.push(call(A, 'PUT', '/v1/catalog/register', { Node: `big-${i}`, Address: '10.1.1.1', Service: { Service: 'huge', ID: `huge-${i}`, Meta: meta } }));
    await Promise.all(batch);
    await exportTo(A, [{ Name: 'web', Consumers: [{ Peer: 'west' }] }, { Name: 'huge', Consumers: [{ Peer: 'west' }] }]);
    await waitFor(async () => (/exported resource too large for the peer stream/.test(A.output()) ? true : undefined), 'the size error in the log');
    assert.match(A.output(), /limit=8388608/);
    await call(A, 'PUT', '/v1/agent/check/pass/web-ttl');
    await waitFor(async () => ((await imported(B, 'web'))[0]?.Checks[0]?.Status === 'passing' ? true : undefined), 'web still flows');
    assert.deepEqual(await imported(B, 'huge'), []);
    assert.equal(((await peering(A, 'west')) as Obj).State, 'ACTIVE');
    await exportTo(A, [{ Name: 'web', Consumers: [{ Peer: 'west' }] }]);
  });

  it('comes back ACTIVE on its own after kill -9 of the acceptor, and data converges', async () => {
    await A.kill9();
    await register(B, { Name: 'local-only', Port: 1 });
    A = await startA();
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE after restart', 30_000);
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE after restart', 30_000);
    await call(A, 'PUT', '/v1/agent/check/fail/web-ttl');
    await waitFor(async () => ((await imported(B, 'web'))[0]?.Checks[0]?.Status === 'critical' ? true : undefined), 'converged after restart');
  });

  it('comes back ACTIVE after kill -9 of the dialer', async () => {
    await B.kill9();
    B = await startB();
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE after restart', 30_000);
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE', 30_000);
    await call(A, 'PUT', '/v1/agent/check/pass/web-ttl');
    await waitFor(async () => ((await imported(B, 'web'))[0]?.Checks[0]?.Status === 'passing' ? true : undefined), 'converged');
  });

  it('lists peerings and exported services with the CLI', () => {
    const list = runCli(['peering', 'list', '--http-addr', A.httpAddr]);
    assert.match(list.stdout, /^Name\s+State\s+Imported Svcs\s+Exported Svcs\s+Meta\nwest\s+ACTIVE\s+0\s+1/m);
    const read = runCli(['peering', 'read', '--name', 'east', '--http-addr', B.httpAddr]);
    assert.match(read.stdout, /State:\s+ACTIVE/);
    assert.match(read.stdout, /Imported Services: 1/);
    const ex = runCli(['peering', 'exported-services', '--name', 'west', '--http-addr', A.httpAddr]);
    assert.equal(ex.stdout.trim(), 'web');
    // Consul's formats: compact JSON, exported services as ID objects, read with no empty address block.
    assert.equal(runCli(['peering', 'exported-services', '-name=west', '-format=json', '-http-addr', A.httpAddr]).stdout, '[{"ID":"web"}]\n');
    const listJson = runCli(['peering', 'list', '-format=json', '-http-addr', A.httpAddr]).stdout;
    assert.equal(listJson.split('\n').length, 2, 'one line of JSON');
    const [west] = JSON.parse(listJson) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(west ?? {}).slice(0, 2), ['ID', 'Name']);
    assert.deepEqual((west?.StreamStatus as { ExportedServices: string[] }).ExportedServices, ['web']);
    assert.doesNotMatch(runCli(['peering', 'read', '-name=west', '-http-addr', A.httpAddr]).stdout, /Peer Server Addresses:/, 'the acceptor side has no server addresses');
    assert.match(read.stdout, /\nPeer Server Addresses:\n {4}\S+:\d+\n\nImported Services: 1\n/);
    assert.match(read.stdout, /\nLast Heartbeat: {4}\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \+0000 UTC\n/);
    assert.ok(read.stdout.endsWith('\n\n'), 'ends with a blank line as Consul');
    const missing = runCli(['peering', 'read', '--name', 'nope', '--http-addr', A.httpAddr]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'No peering with name nope found.');
    const metrics = runCli(['peering', 'list', '--format', 'yaml', '--http-addr', A.httpAddr]);
    assert.equal(metrics.stderr.trim(), 'Invalid format, valid formats are {json|pretty}');
  });

  it('shows FAILING when heartbeats stop (a frozen acceptor), and ACTIVE again when they resume', async () => {
    A.proc.kill('SIGSTOP');
    try {
      await waitFor(stateIs(B, 'east', 'FAILING'), 'B FAILING after the heartbeat timeout', 15_000);
    } finally {
      A.proc.kill('SIGCONT');
    }
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE again', 30_000);
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE again', 30_000);
  });

  it('keeps a connected stream when a new token is generated for the same name', async () => {
    const r = await call(A, 'POST', '/v1/peering/token', { PeerName: 'west' });
    assert.equal(r.status, 200);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(((await peering(A, 'west')) as Obj).State, 'ACTIVE');
    assert.equal(((await peering(B, 'east')) as Obj).State, 'ACTIVE');
  });

  it('exposes the healthy gauge and exported-services count as Prometheus metrics', async () => {
    const text = (await call(A, 'GET', '/v1/agent/metrics?format=prometheus')).text;
    assert.match(text, /consul_peering_healthy\{peer_name="west",peer_id="[0-9a-f-]+"\} 1/);
    assert.match(text, /consul_peering_exported_services\{peer_name="west",peer_id="[0-9a-f-]+"\} 1/);
  });

  it('deleting on A marks B TERMINATED and removes imported data on both sides', async () => {
    const del = runCli(['peering', 'delete', '--name', 'west', '--http-addr', A.httpAddr]);
    assert.equal(del.stdout.trim(), 'Successfully submitted peering connection, west, for deletion');
    await waitFor(stateIs(B, 'east', 'TERMINATED'), 'B TERMINATED');
    await waitFor(async () => ((await imported(B, 'web')).length === 0 ? true : undefined), 'imports removed');
    await waitFor(async () => ((await call(A, 'GET', '/v1/peering/west')).status === 404 ? true : undefined), 'A record gone');
    assert.equal((await call(A, 'GET', '/v1/peering/west')).text, 'Peering not found for "west"');
  });

  it('re-establishes a TERMINATED peering with a new token', async () => {
    const token = ((await call(A, 'POST', '/v1/peering/token', { PeerName: 'west' })).json() as Obj).PeeringToken as string;
    assert.equal((await call(B, 'POST', '/v1/peering/establish', { PeerName: 'east', PeeringToken: token })).status, 200);
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE again');
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE again');
    await waitFor(async () => ((await imported(B, 'web')).length === 1 ? true : undefined), 'web imported again');
  });
});
