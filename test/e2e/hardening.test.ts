// Issue 10 end to end, between two real agents over real TLS gRPC: tokens with the wrong types or a
// CA/server name that cannot match are refused at once with 400 and nothing stored; a refused
// re-establish leaves a working peering intact across an acceptor restart; the exporter's
// StreamStatus reflects what it sent even when exports were configured before the peering existed;
// peer-supplied strings cannot forge log lines.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PeerStreamService, type ReplicationMessage } from '../../src/gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { serviceDefinition } from '../../src/server/grpc/codec.js';
import { startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { call, peering, stateIs } from '../support/peering-api.js';

type Obj = Record<string, unknown>;
const dir = tempDir('hardening');
const cfg = join(dir.path, 'fast.json');
writeFileSync(cfg, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' } }));

let A: AgentProcess; // acceptor and exporter, datacenter east
let B: AgentProcess; // dialer, datacenter west
let grpcPortA = '0';
const startA = async (): Promise<AgentProcess> => {
  const a = await startAgent(['--data-dir', join(dir.path, 'a'), '--node', 'a1', '--datacenter', 'east', '--config-file', cfg, '--grpc-tls-port', grpcPortA, '--log-level', 'debug']);
  grpcPortA = a.grpcAddr.split(':')[1] as string;
  return a;
};

const decode = (token: string): Obj => JSON.parse(Buffer.from(token, 'base64').toString()) as Obj;
const encode = (t: Obj): string => Buffer.from(JSON.stringify(t)).toString('base64');

let token = '';
before(async () => {
  [A, B] = await Promise.all([startA(), startAgent(['--data-dir', join(dir.path, 'b'), '--node', 'b1', '--datacenter', 'west', '--config-file', cfg])]);
  // Exports configured before the peering exists (class 9).
  assert.equal((await call(A, 'PUT', '/v1/agent/service/register', { Name: 'web', Port: 8080 })).status, 200);
  assert.equal((await call(A, 'PUT', '/v1/config', { Kind: 'exported-services', Name: 'default', Services: [{ Name: 'web', Consumers: [{ Peer: 'west' }] }] })).status, 200);
  token = ((await call(A, 'POST', '/v1/peering/token', { PeerName: 'west' })).json() as Obj).PeeringToken as string;
});
after(async () => {
  await Promise.all([A.stop(), B.stop()]);
  dir.remove();
});

describe('hardening between two agents', () => {
  it('refuses tokens with fields of the wrong type before storing or dialling anything (class 3)', async () => {
    const t = decode(token);
    const cases: [Obj, RegExp][] = [
      [{ CA: 5 }, /^peering token invalid CA: json: cannot unmarshal number into Go struct field PeeringToken\.CA of type \[\]string$/],
      [{ CA: { a: 1 } }, /^peering token invalid CA: json: cannot unmarshal object/],
      [{ CA: [5] }, /^peering token invalid CA: json: cannot unmarshal number into Go struct field PeeringToken\.CA of type string$/],
      [{ CA: [] }, /^peering token invalid CA: the token carries no CA certificate/],
      [{ Remote: 'x' }, /^failed to decode peering token: json: cannot unmarshal string into Go struct field PeeringToken\.Remote/],
      [{ ManualServerAddresses: 'x' }, /^failed to decode peering token: json: cannot unmarshal string into Go struct field PeeringToken\.ManualServerAddresses/],
      [{ CA: ['-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n'] }, /^peering token invalid CA: certificate 1 is not a valid X\.509 certificate$/],
    ];
    for (const [patch, message] of cases) {
      const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'east', PeeringToken: encode({ ...t, ...patch }) });
      assert.equal(r.status, 400, `${JSON.stringify(patch)}: ${r.text}`);
      assert.match(r.text, message);
    }
    assert.equal(await peering(B, 'east'), undefined, 'nothing stored');
  });

  it('reports a CA or server name that cannot match as a TLS verification failure, fast, with 400 (class 4)', async () => {
    const t = decode(token);
    const foreignCa = ((await call(B, 'GET', '/v1/connect/ca/roots')).json() as { Roots: { RootCert: string }[] }).Roots.map((r) => r.RootCert);
    const otherName = 'server.east.peering.00000000-1111-2222-3333-444444444444.consul';
    for (const [patch, name] of [
      [{ CA: foreignCa }, String(t.ServerName)],
      [{ ServerName: otherName }, otherName],
    ] as [Obj, string][]) {
      const started = Date.now();
      const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'east', PeeringToken: encode({ ...t, ...patch }) });
      assert.equal(r.status, 400, r.text);
      assert.ok(r.text.startsWith(`TLS verification of the peer failed: the server at "${A.grpcAddr}" did not present a certificate for "${name}" signed by the peering token's CA`), r.text);
      assert.ok(Date.now() - started < 2500, `answered in ${Date.now() - started} ms, not after the 3 s retry window`);
    }
    assert.equal(await peering(B, 'east'), undefined, 'nothing stored');
  });

  it('establishes with the untouched token (the refused attempts did not consume it)', async () => {
    const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'east', PeeringToken: token });
    assert.equal(r.status, 200, r.text);
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE');
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE');
  });

  it('shows ExportedServices on the exporter although the export was written before ACTIVE (class 9)', async () => {
    const exported = await waitFor(async () => {
      const s = ((await peering(A, 'west')) as { StreamStatus: { ExportedServices: string[] | null } }).StreamStatus.ExportedServices;
      return s && s.length > 0 ? s : undefined;
    }, 'ExportedServices on A', 15_000);
    assert.deepEqual(exported, ['web']);
    await waitFor(async () => ((((await peering(B, 'east')) as { StreamStatus: { ImportedServices: string[] | null } }).StreamStatus.ImportedServices ?? []).includes('web') ? true : undefined), 'ImportedServices on B');
  });

  it('a refused re-establish changes nothing, and the peering survives an acceptor restart (class 5)', async () => {
    const before = (await peering(B, 'east')) as Obj;
    const t = decode(token);
    for (const forged of [{ ...t, EstablishmentSecret: randomUUID() }, { ...t, PeerID: randomUUID(), EstablishmentSecret: randomUUID() }]) {
      const r = await call(B, 'POST', '/v1/peering/establish', { PeerName: 'east', PeeringToken: encode(forged) });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.text, 'rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret');
    }
    const afterRefusal = (await peering(B, 'east')) as Obj;
    assert.equal(afterRefusal.PeerID, before.PeerID);
    assert.equal(afterRefusal.ModifyIndex, before.ModifyIndex, 'no write at all');
    await A.stop();
    A = await startA();
    await waitFor(stateIs(A, 'west', 'ACTIVE'), 'A ACTIVE after restart', 30_000);
    await waitFor(stateIs(B, 'east', 'ACTIVE'), 'B ACTIVE after restart', 30_000);
    assert.equal(((await peering(B, 'east')) as Obj).PeerID, before.PeerID);
  });

  it('peer-supplied strings and request paths cannot forge log lines (class 8)', async () => {
    const forged = '\n2099-01-01T00:00:00.000Z [ERROR] forged by a peer';
    const roots = (await call(A, 'GET', '/v1/connect/ca/roots')).json() as { TrustDomain: string; Roots: { RootCert: string }[] };
    const serverName = `server.east.peering.${roots.TrustDomain}`;
    const Client = grpc.makeGenericClientConstructor(serviceDefinition(PeerStreamService), 'PeerStream');
    const client = new Client(A.grpcAddr, grpc.credentials.createSsl(Buffer.from(roots.Roots.map((r) => r.RootCert).join('\n'))), { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName });
    const def = serviceDefinition(PeerStreamService).streamResources!;
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const s = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize as (b: Buffer) => ReplicationMessage);
      s.on('data', () => {});
      s.on('error', (e: grpc.ServiceError) => resolve(e));
      s.write({ Payload: { case: 'open', value: { PeerID: `x${forged}`, StreamSecretID: 'y' } } });
    });
    client.close();
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    await call(A, 'GET', `/v1/catalog/service/a${encodeURIComponent(forged)}`);
    await call(A, 'PUT', `/v1/agent/check/pass/${encodeURIComponent(`nope${forged}`)}`);
    await waitFor(async () => (A.output().includes('forged by a peer') ? true : undefined), 'the refusal in the log');
    const lines = A.output().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('2099-')).length, 0, 'no forged line');
    for (const l of lines.filter((x) => x.includes('forged'))) assert.match(l, /^20\d\d-\d\d-\d\dT[\d:.]+Z \[[A-Z]+\] .*\\n2099/, l);
  });
});
