// The external gRPC TLS listener of a real agent: CA-signed certificate with the peering server name
// and SPIFFE ID, the standard health service, refusal of untrusting clients, rotation in place.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Health } from '../../src/gen/grpc/health/v1/health_pb.js';
import { serviceDefinition } from '../../src/server/grpc/codec.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';

interface Roots {
  ActiveRootID: string;
  TrustDomain: string;
  Roots: { ID: string; RootCert: string }[];
}

let agent: AgentProcess;
before(async () => {
  agent = await startAgent(['--dev', '--node', 'grpc-node', '--datacenter', 'dc7']);
});
after(async () => {
  await agent.stop();
});

const roots = async (): Promise<Roots> => (await fetch(`${agent.httpAddr}/v1/connect/ca/roots`)).json() as Promise<Roots>;
const HealthClient = grpc.makeGenericClientConstructor(serviceDefinition(Health), 'Health');

function check(ca: string, serverName: string, service = ''): Promise<{ status: number }> {
  const client = new HealthClient(agent.grpcAddr, grpc.credentials.createSsl(Buffer.from(ca)), {
    'grpc.ssl_target_name_override': serverName,
    'grpc.default_authority': serverName,
  });
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (v: { service: string }) => Buffer.from(serviceDefinition(Health).check!.requestSerialize(v)),
      (b: Buffer) => serviceDefinition(Health).check!.responseDeserialize(b) as { status: number },
      { service },
      { deadline: Date.now() + 5000 },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res as { status: number });
      },
    );
  });
}

function peerCert(serverName: string): Promise<tls.DetailedPeerCertificate> {
  const [host, port] = agent.grpcAddr.split(':');
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port: Number(port), servername: serverName, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate(true));
      s.end();
    });
    s.on('error', reject);
  });
}

describe('gRPC TLS listener', () => {
  it('serves grpc.health.v1 over TLS verified against the CA roots and the peering server name', async () => {
    const r = await roots();
    const serverName = `server.dc7.peering.${r.TrustDomain}`;
    const ca = r.Roots.map((x) => x.RootCert).join('\n');
    assert.equal((await check(ca, serverName)).status, 1, 'SERVING');
    await assert.rejects(check(ca, serverName, 'no.such.Service'), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
  });

  it('presents the SPIFFE server ID and DNS SAN server.<dc>.peering.<td>', async () => {
    const r = await roots();
    const cert = await peerCert(`server.dc7.peering.${r.TrustDomain}`);
    assert.equal(cert.subjectaltname, `URI:spiffe://${r.TrustDomain}/agent/server/dc/dc7, DNS:server.dc7.peering.${r.TrustDomain}`);
  });

  it('is refused by a client that does not trust the CA or expects another name', async () => {
    const r = await roots();
    const other = await startAgent(['--dev', '--node', 'stranger']);
    try {
      const foreign = ((await (await fetch(`${other.httpAddr}/v1/connect/ca/roots`)).json()) as Roots).Roots.map((x) => x.RootCert).join('\n');
      await assert.rejects(check(foreign, `server.dc7.peering.${r.TrustDomain}`), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    } finally {
      await other.stop();
    }
    const ca = r.Roots.map((x) => x.RootCert).join('\n');
    await assert.rejects(check(ca, 'server.dc7.peering.wrong.consul'), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
  });

  it('reissues its certificate under the new root after a CA rotation, without a restart', async () => {
    const before = await roots();
    const put = await fetch(`${agent.httpAddr}/v1/connect/ca/configuration`, { method: 'PUT', body: JSON.stringify({ Provider: 'consul', Config: { PrivateKeyBits: 384 } }) });
    assert.equal(put.status, 200);
    const after = await roots();
    assert.notEqual(after.ActiveRootID, before.ActiveRootID);
    const serverName = `server.dc7.peering.${after.TrustDomain}`;
    const newRoot = after.Roots.find((x) => x.ID === after.ActiveRootID)?.RootCert as string;
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await check(newRoot, serverName).then(() => true, () => false);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ok, 'a client trusting only the new root connects');
  });
});
