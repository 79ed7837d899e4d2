// Kubernetes auth end to end: a real isthmus agent (ACLs on, default deny) validates service-account JWTs
// minted by `kubectl create token` against the API-server double over HTTPS (TokenReview + ServiceAccount
// read), binds service identities through binding rules, and logs out. Simulated: the API server (an
// in-process double). Real: the agent process, the CLI, kubectl, TLS, the HTTP calls between them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { ApiServer } from './apiserver/server.js';
import { apiServerTls, rendered } from './fixtures.js';
import { kubectlFor, type Kubectl } from './kubectl.js';

type Obj = Record<string, unknown>;
const dir = tempDir('acl-login');
let api: ApiServer;
let k: Kubectl;
let agent: AgentProcess;
let mgmt = '';
let reviewerJwt = '';
const secrets: string[] = [];

/** The CLI as a child process, asynchronously (the API-server double serves from this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CONSUL_HTTP_ADDR: agent.httpAddr, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function http(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; text: string; json: <T = Obj>() => T }> {
  const res = await fetch(`${agent.httpAddr}${path}`, { method, headers: token ? { 'X-Consul-Token': token } : {}, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, text, json: <T>() => JSON.parse(text) as T };
}

async function mint(sa: string): Promise<string> {
  const r = await k(['create', 'token', sa]);
  assert.equal(r.code, 0, r.stderr);
  const tok = r.stdout.trim();
  secrets.push(tok);
  return tok;
}

async function loginCli(sa: string, extra: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; secret: string }> {
  const bearer = join(dir.path, `${sa}.jwt`);
  const sink = join(dir.path, `${sa}.token`);
  writeFileSync(bearer, await mint(sa));
  writeFileSync(sink, '');
  const r = await cli(['login', '-method', 'k8s', '-bearer-token-file', bearer, '-token-sink-file', sink, ...extra], env);
  return { code: r.code, stderr: r.stderr, secret: readFileSync(sink, 'utf8') };
}

const allowed = async (token: string, checks: { Resource: string; Segment?: string; Access: string }[]): Promise<boolean[]> =>
  (await http('POST', '/v1/internal/acl/authorize', token, checks)).json<{ Allow: boolean }[]>().map((x) => x.Allow);

before(async () => {
  api = new ApiServer({ tls: apiServerTls() });
  await api.start();
  k = kubectlFor(api.kubeconfig());
  // kubectl's typed `create serviceaccount` speaks protobuf; apply sends JSON, which the double reads.
  const sas = ['consul-auth-method', 'web', 'default', 'api', 'gone'].map((n) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${n}\n`).join('---\n');
  const created = await k(['apply', '-f', '-'], sas);
  assert.equal(created.code, 0, created.stderr);
  const annotated = await k(['annotate', 'serviceaccount', 'api', 'consul.hashicorp.com/service-name=Api-Svc']);
  assert.equal(annotated.code, 0, annotated.stderr);
  reviewerJwt = await mint('consul-auth-method');
  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny' } }));
  agent = await startAgent(['--dev', '--node', 'acl-login', '--config-file', cfg]);
  const boot = await http('PUT', '/v1/acl/bootstrap');
  mgmt = boot.json().SecretID as string;
});
after(async () => {
  await agent?.stop();
  await api?.stop();
  k?.cleanup();
  dir.remove();
});

describe('kubernetes auth method: login with a service-account JWT', () => {
  it('creates the auth method and the chart binding rule with the CLI', async () => {
    const ca = join(dir.path, 'ca.pem');
    writeFileSync(ca, apiServerTls().ca);
    const m = await cli(['acl', 'auth-method', 'create', '-type', 'kubernetes', '-name', 'k8s', '-display-name', 'Kubernetes Auth Method', '-max-token-ttl', '1h', '-kubernetes-host', api.url, '-kubernetes-ca-cert', `@${ca}`, '-kubernetes-service-account-jwt', reviewerJwt], { CONSUL_HTTP_TOKEN: mgmt });
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^Name:\s+k8s\nType:\s+kubernetes\nDisplay Name:\s+Kubernetes Auth Method\n/);
    assert.match(m.stdout, /MaxTokenTTL:\s+1h0m0s/);
    const r = await cli(['acl', 'binding-rule', 'create', '-method', 'k8s', '-description', 'Kubernetes binding rule', '-bind-type', 'service', '-bind-name', '${serviceaccount.name}', '-selector', 'serviceaccount.name!=default', '-format', 'json'], { CONSUL_HTTP_TOKEN: mgmt });
    assert.equal(r.code, 0, r.stderr);
    const rule = JSON.parse(r.stdout) as Obj;
    assert.equal(rule.AuthMethod, 'k8s');
    assert.equal(rule.BindName, '${serviceaccount.name}');
    const list = await cli(['acl', 'auth-method', 'list', '-format', 'json'], { CONSUL_HTTP_TOKEN: mgmt });
    assert.deepEqual((JSON.parse(list.stdout) as Obj[]).map((x) => [x.Name, x.Config]), [['k8s', undefined]]);
  });

  it('logs in with a kubectl-minted token: exactly the expected service identity, local, expiring, from the method', async () => {
    const r = await loginCli('web', ['-meta', 'pod=default/web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.secret, /^[0-9a-f-]{36}$/);
    const self = (await http('GET', '/v1/acl/token/self', r.secret)).json();
    assert.deepEqual(self.ServiceIdentities, [{ ServiceName: 'web' }]);
    assert.equal(self.NodeIdentities, undefined);
    assert.deepEqual(self.Policies, []);
    assert.equal(self.AuthMethod, 'k8s');
    assert.equal(self.Local, true);
    assert.equal(self.Description, 'token created via login: {"pod":"default/web"}');
    const exp = Date.parse(self.ExpirationTime as string);
    assert.ok(exp > Date.now() + 55 * 60_000 && exp <= Date.now() + 61 * 60_000, `ExpirationTime ${String(self.ExpirationTime)}`);
  });

  it('the token authorizes what a service identity allows and nothing more', async () => {
    const { secret } = await loginCli('web');
    assert.deepEqual(
      await allowed(secret, [
        { Resource: 'service', Segment: 'web', Access: 'write' },
        { Resource: 'service', Segment: 'web-sidecar-proxy', Access: 'write' },
        { Resource: 'service', Segment: 'db', Access: 'read' },
        { Resource: 'node', Segment: 'any-node', Access: 'read' },
        { Resource: 'service', Segment: 'db', Access: 'write' },
        { Resource: 'node', Segment: 'any-node', Access: 'write' },
        { Resource: 'key', Segment: 'x', Access: 'read' },
        { Resource: 'acl', Access: 'read' },
        { Resource: 'operator', Access: 'read' },
        { Resource: 'mesh', Access: 'write' },
      ]),
      [true, true, true, true, false, false, false, false, false, false],
    );
    const reg = await http('PUT', '/v1/agent/service/register', secret, { Name: 'web', Port: 8080 });
    assert.equal(reg.status, 200, reg.text);
    const denied = await http('PUT', '/v1/agent/service/register', secret, { Name: 'db', Port: 5432 });
    assert.equal(denied.status, 403);
    assert.match(denied.text, /lacks permission 'service:write' on "db"/);
  });

  it('the consul.hashicorp.com/service-name annotation replaces the name, lower-cased by the bind name', async () => {
    // A stale token in the environment does not get in the way: login sends none.
    const { code, stderr, secret } = await loginCli('api', [], { CONSUL_HTTP_TOKEN: '0b7e4e2c-0000-4000-8000-00000000dead' });
    assert.equal(code, 0, stderr);
    assert.deepEqual((await http('GET', '/v1/acl/token/self', secret)).json().ServiceIdentities, [{ ServiceName: 'api-svc' }]);
  });

  it('the default service account matches no rule: 403 Permission denied and no token', async () => {
    const before = (await http('GET', '/v1/acl/tokens?authmethod=k8s', mgmt)).json<Obj[]>().length;
    const r = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'k8s', BearerToken: await mint('default') });
    assert.equal(r.status, 403);
    assert.equal(r.text, 'Permission denied');
    assert.equal((await http('GET', '/v1/acl/tokens?authmethod=k8s', mgmt)).json<Obj[]>().length, before);
    const viaCli = await loginCli('default');
    assert.equal(viaCli.code, 1);
    assert.match(viaCli.stderr, /Error logging in: Unexpected response code: 403 \(Permission denied\)/);
  });

  it('refuses bad bearers with the validator texts (500, not ACL errors)', async () => {
    const notJwt = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'k8s', BearerToken: 'not-a-jwt' });
    assert.equal(notJwt.status, 500);
    assert.equal(notJwt.text, 'failed to parse and validate JWT: compact JWS format must have three parts');
    const web = await mint('web');
    const [h, p] = web.split('.') as [string, string];
    const forged = `${h}.${p}.${Buffer.from('forged-signature').toString('base64url')}`;
    const bad = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'k8s', BearerToken: forged });
    assert.equal(bad.status, 500);
    assert.match(bad.text, /^lookup failed: \[invalid bearer token, /);
    const gone = await mint('gone');
    assert.equal((await k(['delete', 'serviceaccount', 'gone'])).code, 0);
    const deleted = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'k8s', BearerToken: gone });
    assert.equal(deleted.status, 500);
    assert.equal(deleted.text, 'lookup failed: [invalid bearer token, service account token has been invalidated]');
    const unknown = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'nope', BearerToken: web });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.text, 'ACL not found: auth method "nope" not found');
  });

  it('refuses when the API server cannot be trusted or refuses the reviewer credential', async () => {
    const web = await mint('web');
    const wrongCa = await http('PUT', '/v1/acl/auth-method', mgmt, { Name: 'wrong-ca', Type: 'kubernetes', Config: { Host: api.url, CACert: rendered().cert, ServiceAccountJWT: reviewerJwt } });
    assert.equal(wrongCa.status, 200, wrongCa.text);
    await http('PUT', '/v1/acl/binding-rule', mgmt, { AuthMethod: 'wrong-ca', BindType: 'service', BindName: '${serviceaccount.name}' });
    const tls = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'wrong-ca', BearerToken: web });
    assert.equal(tls.status, 500);
    assert.match(tls.text, /x509: certificate signed by unknown authority/);
    const [h, p] = reviewerJwt.split('.') as [string, string];
    const badReviewer = `${h}.${p}.${Buffer.from('x').toString('base64url')}`;
    await http('PUT', '/v1/acl/auth-method', mgmt, { Name: 'bad-reviewer', Type: 'kubernetes', Config: { Host: api.url, CACert: apiServerTls().ca, ServiceAccountJWT: badReviewer } });
    const unauth = await http('POST', '/v1/acl/login', undefined, { AuthMethod: 'bad-reviewer', BearerToken: web });
    assert.equal(unauth.status, 500);
    assert.equal(unauth.text, 'Unauthorized');
  });

  it('logout deletes the login token; other tokens and none are refused', async () => {
    const { secret } = await loginCli('web');
    const accessor = (await http('GET', '/v1/acl/token/self', secret)).json().AccessorID as string;
    const out = await cli(['logout'], { CONSUL_HTTP_TOKEN: secret });
    assert.equal(out.code, 0, out.stderr);
    assert.equal((await http('GET', `/v1/acl/token/${accessor}`, mgmt)).status, 404);
    const again = await http('POST', '/v1/acl/logout', secret);
    assert.equal(again.status, 403);
    assert.equal(again.text, 'ACL not found');
    const notLogin = await http('POST', '/v1/acl/logout', mgmt);
    assert.equal(notLogin.status, 403);
    assert.equal(notLogin.text, 'Permission denied');
    const none = await http('POST', '/v1/acl/logout');
    assert.equal(none.status, 401);
    assert.equal(none.text, 'Supplied token does not exist');
  });

  it('deleting the auth method deletes its binding rules and every token it created', async () => {
    const { secret } = await loginCli('web');
    assert.ok((await http('GET', '/v1/acl/tokens?authmethod=k8s', mgmt)).json<Obj[]>().length > 0);
    const d = await cli(['acl', 'auth-method', 'delete', '-name', 'k8s'], { CONSUL_HTTP_TOKEN: mgmt });
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim(), 'Auth method "k8s" deleted successfully');
    assert.deepEqual((await http('GET', '/v1/acl/tokens?authmethod=k8s', mgmt)).json<Obj[]>(), []);
    assert.deepEqual((await http('GET', '/v1/acl/binding-rules?authmethod=k8s', mgmt)).json<Obj[]>(), []);
    assert.equal((await http('GET', '/v1/acl/token/self', secret)).status, 403);
  });

  it('never writes a bearer token or the reviewer JWT to the agent log', () => {
    const log = agent.output();
    for (const s of [reviewerJwt, ...secrets]) assert.ok(!log.includes(s), 'a JWT reached the log');
  });
});
