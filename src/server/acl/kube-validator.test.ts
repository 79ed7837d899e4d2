// The kubernetes validator's answers to each kind of API-server reply (a local HTTP stand-in answers as
// told; the HTTPS path against the API-server double runs in test/k8s/acl-login.test.ts).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { validateKubernetesLogin } from './kube-validator.js';

const JWT = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`;
const REVIEWER = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"reviewer"}').toString('base64url')}.cmV2`;
let reply: { review: unknown; reviewStatus?: number; sa?: unknown; saStatus?: number; hang?: boolean } = { review: {} };
const seen: { path: string; auth: string; body: string }[] = [];
let server: Server;
let host = '';

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization ?? '', body });
      if (reply.hang) return;
      const review = req.url?.endsWith('/tokenreviews');
      res.writeHead(review ? (reply.reviewStatus ?? 201) : (reply.saStatus ?? 200), { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(review ? reply.review : reply.sa));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const login = async (timeoutMs = 5000): Promise<string> => {
  try {
    return JSON.stringify(await validateKubernetesLogin({ Host: host, CACert: '', ServiceAccountJWT: REVIEWER }, JWT, timeoutMs));
  } catch (err) {
    return (err as Error).message;
  }
};
const ok = (username: string, uid = 'uid-1') => ({ status: { authenticated: true, user: { username, uid } } });

describe('kubernetes login validation', () => {
  it('posts a TokenReview with the reviewer credential, then reads the ServiceAccount', async () => {
    seen.length = 0;
    reply = { review: ok('system:serviceaccount:prod:web'), sa: { metadata: { name: 'web', annotations: {} } } };
    assert.equal(await login(), JSON.stringify({ namespace: 'prod', name: 'web', uid: 'uid-1' }));
    assert.equal(seen[0]?.path, '/apis/authentication.k8s.io/v1/tokenreviews');
    assert.equal(seen[0]?.auth, `Bearer ${REVIEWER}`);
    assert.deepEqual((JSON.parse(seen[0]?.body ?? '{}') as { spec: unknown }).spec, { token: JWT });
    assert.equal(seen[1]?.path, '/api/v1/namespaces/prod/serviceaccounts/web');
  });

  it('takes the service name from the annotation', async () => {
    reply = { review: ok('system:serviceaccount:prod:web'), sa: { metadata: { annotations: { 'consul.hashicorp.com/service-name': 'frontend' } } } };
    assert.equal(JSON.parse(await login()).name, 'frontend');
  });

  it('answers every refusal with Consul text', async () => {
    reply = { review: { status: { user: {}, error: 'token expired' } } };
    assert.equal(await login(), 'lookup failed: token expired');
    reply = { review: { status: { authenticated: false, user: {} } } };
    assert.equal(await login(), 'lookup failed: service account jwt not valid');
    reply = { review: ok('system:serviceaccount:web') };
    assert.equal(await login(), 'lookup failed: unexpected username format');
    reply = { review: ok('system:node:prod:web') };
    assert.equal(await login(), 'lookup failed: username returned is not a service account');
    reply = { review: ok('system:serviceaccount:prod:web'), saStatus: 404, sa: { kind: 'Status', message: 'serviceaccounts "web" not found' } };
    assert.equal(await login(), 'annotation lookup failed: serviceaccounts "web" not found');
    reply = { review: { kind: 'Status', message: 'Unauthorized' }, reviewStatus: 401 };
    assert.equal(await login(), 'Unauthorized');
  });

  it('gives up after its deadline and never names a token', async () => {
    reply = { review: {}, hang: true };
    const started = Date.now();
    const msg = await login(300);
    assert.match(msg, /^Post "http:\/\/127\.0\.0\.1:\d+\/apis\/authentication\.k8s\.io\/v1\/tokenreviews": context deadline exceeded$/);
    assert.ok(Date.now() - started < 3000);
    assert.ok(!msg.includes(JWT) && !msg.includes(REVIEWER));
  });
});
