// The built-in CA through the HTTP API: roots, SPIFFE leaves, real mTLS with Node's TLS, rotation.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startTestAgent, type TestAgent } from '../test-agent.js';

type Obj = Record<string, unknown>;
interface Leaf {
  CertPEM: string;
  PrivateKeyPEM: string;
  ServiceURI: string;
  SerialNumber: string;
  ValidAfter: string;
  ValidBefore: string;
}
interface Roots {
  ActiveRootID: string;
  TrustDomain: string;
  Roots: Obj[];
}

let t: TestAgent;
before(async () => {
  t = await startTestAgent({ flags: { node: 'ca-node', datacenter: 'east' } });
});
after(() => t.close());

const roots = async (): Promise<Roots> => (await t.request('GET', '/v1/connect/ca/roots')).json<Roots>();
const leaf = async (svc: string): Promise<Leaf> => (await t.request('GET', `/v1/agent/connect/ca/leaf/${svc}`)).json<Leaf>();

/**
 * Completes a real mutual-TLS exchange: the server answers only after verifying the client, so a
 * refused client certificate shows up as a failure here even under TLS 1.3.
 */
async function mtls(server: Leaf, client: Leaf, ca: string[]): Promise<{ serverSaw: string; clientSaw: string }> {
  const srv = tls.createServer({ cert: server.CertPEM, key: server.PrivateKeyPEM, ca, requestCert: true, rejectUnauthorized: true });
  let serverSaw = '';
  srv.on('secureConnection', (s) => {
    serverSaw = s.getPeerX509Certificate()?.subjectAltName ?? '';
    s.end('hi');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    const clientSaw = await new Promise<string>((resolve, reject) => {
      let saw = '';
      let data = '';
      const c = tls.connect({ host: '127.0.0.1', port, cert: client.CertPEM, key: client.PrivateKeyPEM, ca, checkServerIdentity: () => undefined }, () => {
        saw = c.getPeerX509Certificate()?.subjectAltName ?? '';
      });
      c.on('data', (d: Buffer) => (data += d.toString()));
      c.on('error', reject);
      c.on('close', () => (data === 'hi' ? resolve(saw) : reject(new Error('the server closed the connection without answering'))));
    });
    return { serverSaw, clientSaw };
  } finally {
    srv.close();
  }
}

describe('Connect CA', () => {
  it('publishes one active EC root with Consul’s shape and trust domain', async () => {
    const r = await roots();
    assert.match(r.TrustDomain, /^[0-9a-f-]{36}\.consul$/);
    assert.equal(r.Roots.length, 1);
    const root = r.Roots[0] as Obj;
    assert.equal(root.ID, r.ActiveRootID);
    assert.match(String(root.ID), /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    assert.equal(root.Active, true);
    assert.equal(root.PrivateKeyType, 'ec');
    assert.equal(root.PrivateKeyBits, 256);
    assert.equal(root.IntermediateCerts, null);
    assert.ok(!('privateKeyPem' in root) && !JSON.stringify(root).includes('PRIVATE KEY'), 'no private key leaks');
    const cert = new X509Certificate(String(root.RootCert));
    assert.equal(cert.ca, true);
    assert.equal(cert.subjectAltName, `URI:spiffe://${r.TrustDomain}`);
    const same = await t.request('GET', '/v1/agent/connect/ca/roots');
    assert.equal(same.json<Roots>().ActiveRootID, r.ActiveRootID);
  });

  it('serves the PEM chain with ?pem=true', async () => {
    const r = await t.request('GET', '/v1/connect/ca/roots?pem=true');
    assert.equal(r.headers['content-type'], 'application/pem-certificate-chain');
    assert.match(r.body, /^-----BEGIN CERTIFICATE-----/);
  });

  it('issues a leaf with the service SPIFFE ID that verifies against the root', async () => {
    const r = await roots();
    const l = await leaf('web');
    assert.equal(l.ServiceURI, `spiffe://${r.TrustDomain}/ns/default/dc/east/svc/web`);
    const cert = new X509Certificate(l.CertPEM);
    assert.equal(cert.subjectAltName, `URI:${l.ServiceURI}`);
    assert.equal(cert.verify(new X509Certificate(String(r.Roots[0]?.RootCert)).publicKey), true);
    assert.match(l.PrivateKeyPEM, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(l.SerialNumber, /^[0-9a-f]{2}(:[0-9a-f]{2})+$/);
    const life = Date.parse(l.ValidBefore) - Date.parse(l.ValidAfter);
    assert.ok(life > 71 * 3600_000 && life < 73 * 3600_000, 'default LeafCertTTL is 72h');
    assert.equal((await leaf('web')).SerialNumber, l.SerialNumber, 'the same leaf is reused until renewal');
  });

  it('lets two leaves complete a real mutual-TLS handshake', async () => {
    const ca = (await roots()).Roots.map((x) => String(x.RootCert));
    const { serverSaw, clientSaw } = await mtls(await leaf('db'), await leaf('web'), ca);
    assert.match(serverSaw, /\/svc\/web$/);
    assert.match(clientSaw, /\/svc\/db$/);
  });

  it('refuses a client certificate from another CA', async () => {
    const other = await startTestAgent({ flags: { node: 'other-ca' } });
    try {
      const foreign = (await other.request('GET', '/v1/agent/connect/ca/leaf/web')).json<Leaf>();
      const ca = (await roots()).Roots.map((x) => String(x.RootCert));
      await assert.rejects(mtls(await leaf('db'), foreign, ca));
    } finally {
      await other.close();
    }
  });

  it('rotates the root: the old root stays, cross-signs the new one, and old and new leaves still talk', async () => {
    const before = await roots();
    const oldLeaf = await leaf('db');
    const r = await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: { PrivateKeyBits: 384 } });
    assert.equal(r.status, 200, r.body);
    const after = await roots();
    assert.equal(after.Roots.length, 2);
    assert.notEqual(after.ActiveRootID, before.ActiveRootID);
    assert.equal(after.TrustDomain, before.TrustDomain, 'the trust domain survives rotation');
    const old = after.Roots.find((x) => x.ID === before.ActiveRootID) as Obj;
    const active = after.Roots.find((x) => x.ID === after.ActiveRootID) as Obj;
    assert.equal(old.Active, false);
    assert.equal(active.PrivateKeyBits, 384);
    assert.equal((active.IntermediateCerts as string[]).length, 1, 'cross-signed by the old root');
    const newLeaf = await leaf('web');
    assert.equal(new X509Certificate(newLeaf.CertPEM).verify(new X509Certificate(String(active.RootCert)).publicKey), true);
    const all = after.Roots.map((x) => String(x.RootCert));
    await mtls(oldLeaf, newLeaf, all);
    // A peer that still trusts only the old root accepts the new leaf through the cross-signed chain.
    await mtls(newLeaf, oldLeaf, [String(old.RootCert)]);
  });

  it('updates TTLs without rotating, and validates with Consul texts', async () => {
    const id = (await roots()).ActiveRootID;
    assert.equal((await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: { LeafCertTTL: '24h' } })).status, 200);
    assert.equal((await roots()).ActiveRootID, id);
    const cfg = (await t.request('GET', '/v1/connect/ca/configuration')).json<{ Provider: string; Config: Obj }>();
    assert.equal(cfg.Provider, 'consul');
    assert.equal(cfg.Config.LeafCertTTL, '24h0m0s');
    const cases: [Obj, string][] = [
      [{ LeafCertTTL: '30m' }, 'leaf cert TTL must be greater or equal than 1h0m0s'],
      [{ IntermediateCertTTL: '2h' }, 'Intermediate Cert TTL must be greater or equal than 3h'],
      [{ PrivateKeyBits: 100 }, 'EC key length must be one of (224, 256, 384, 521) bits'],
    ];
    for (const [config, message] of cases) {
      const r = await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: config });
      assert.equal(r.status, 400);
      assert.equal(r.body, message);
    }
    const vault = await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'vault', Config: {} });
    assert.equal(vault.status, 400);
  });

  it('rotates to a root generated from a supplied PrivateKey alone (SEC1 or PKCS#8); a RootCert without its key is refused', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    for (const type of ['sec1', 'pkcs8'] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ type, format: 'pem' }).toString();
      const before = await roots();
      const r = await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: { PrivateKey: pem } });
      assert.equal(r.status, 200, r.body);
      const after = await roots();
      assert.notEqual(after.ActiveRootID, before.ActiveRootID, `${type}: a new key rotates the root`);
      const active = after.Roots.find((x) => x.ID === after.ActiveRootID) as Obj;
      const rootKey = new X509Certificate(String(active.RootCert)).publicKey.export({ type: 'spki', format: 'der' });
      assert.deepEqual(rootKey, publicKey.export({ type: 'spki', format: 'der' }), `${type}: the new root carries the supplied key`);
      assert.equal((active.IntermediateCerts as string[]).length, 1, 'cross-signed by the previous root');
      const l = await leaf('after-import');
      assert.equal(new X509Certificate(l.CertPEM).verify(new X509Certificate(String(active.RootCert)).publicKey), true);
    }
    const cert = String((await roots()).Roots[0]?.RootCert);
    const bad = await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: { RootCert: cert } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body, 'Invalid CA config: RootCert requires the PrivateKey it was issued for');
    const junk = await t.request('PUT', '/v1/connect/ca/configuration', { Provider: 'consul', Config: { PrivateKey: 'not a key' } });
    assert.equal(junk.status, 400);
  });

  it('keeps the cluster ID and roots across a restart of the store', async () => {
    const { MemoryStore } = await import('../../store/memory/memory-store.js');
    const store = new MemoryStore();
    const a = await startTestAgent({ store, flags: { node: 'persist' } });
    const first = (await a.request('GET', '/v1/connect/ca/roots')).json<Roots>();
    await a.agent.http.close();
    const b = await startTestAgent({ store, flags: { node: 'persist' } });
    try {
      const second = (await b.request('GET', '/v1/connect/ca/roots')).json<Roots>();
      assert.equal(second.TrustDomain, first.TrustDomain);
      assert.equal(second.ActiveRootID, first.ActiveRootID);
    } finally {
      await b.close();
    }
  });
});
