// Managed ACLs on Kubernetes, end to end: a real `isthmus agent` with ACLs on and default deny, the API-server double
// (Secrets, ServiceAccounts, `kubectl create token`, TokenReview) driven with the real kubectl, and real processes:
// `isthmus k8s server-acl-init` bootstraps and configures the server (twice: idempotent), then a mesh gateway, a
// sidecar and the controller log in with service-account tokens and do their job; wrong accounts are refused.
// Simulated: the API server (the double) and the token controller that fills the auth-method Secret (the test
// mints that token with kubectl and stores it). Real: server, CLI processes, kubectl, HTTP, TokenReview round trips.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import tls from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls } from '../k8s/fixtures.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { BIN, ROOT, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { dnsQuery } from '../support/dns.js';
import { freePort, startApp, startCli, type CliProcess } from '../support/processes.js';

type Obj = Record<string, unknown>;
const NS = 'consul';
const PREFIX = 'r-isthmus';
const COMPONENT_METHOD = `${PREFIX}-k8s-component-auth-method`;
const WORKLOAD_METHOD = `${PREFIX}-k8s-auth-method`;
const dir = tempDir('k8s-acl');

let agent: AgentProcess;
let api: ApiServer;
let k: Kubectl;
let bootstrap = '';
const procs: CliProcess[] = [];

/** Runs the CLI to completion without blocking this process (the API-server double answers from here). */
function run(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

async function http(method: string, path: string, token = bootstrap, body?: unknown): Promise<{ status: number; text: string; json: <T = Obj>() => T }> {
  const r = await fetch(`${agent.httpAddr}${path}`, { method, headers: token ? { 'X-Consul-Token': token } : {}, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, text, json: <T>() => JSON.parse(text) as T };
}

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const r = await k(args, stdin);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A service account in NS and a token for it, written to a file (what the kubelet mounts in a pod). */
async function saToken(name: string, namespace = NS): Promise<string> {
  if (!api.get('', 'serviceaccounts', namespace, name)) await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }));
  const jwt = (await kubectl(['create', 'token', name, '-n', namespace])).trim();
  assert.match(jwt, /^[\w-]+\.[\w-]+\.[\w-]*$/, 'kubectl create token prints a JWT');
  const file = join(dir.path, `${namespace}-${name}.token`);
  writeFileSync(file, jwt);
  return file;
}

const aclInit = (extra: string[] = []): Promise<{ code: number | null; out: string; err: string }> =>
  run(['k8s', 'server-acl-init', '-resource-prefix', PREFIX, '-k8s-namespace', NS, '-http-addr', agent.httpAddr, '-kubeconfig', k.kubeconfig, '-connect-inject', '-mesh-gateway', '-enable-peering=true', '-allow-dns', '-auth-method-host', api.url, '-timeout', '30s', ...extra]);

const loginTokens = async (method: string): Promise<Obj[]> => {
  const r = await http('GET', `/v1/acl/tokens?authmethod=${method}`);
  assert.equal(r.status, 200, r.text);
  return r.json<Obj[]>();
};
const tokenDetail = async (accessor: string): Promise<Obj> => (await http('GET', `/v1/acl/token/${accessor}`)).json();
const names = (xs: unknown): string[] => ((xs as { Name?: string; ServiceName?: string }[] | undefined) ?? []).map((x) => x.Name ?? x.ServiceName ?? '').sort();

describe('managed ACLs on Kubernetes (server-acl-init, login of gateways, sidecars and the controller)', { timeout: 420_000 }, () => {
  before(async () => {
    const cfg = join(dir.path, 'acl.json');
    writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny' } }));
    agent = await startAgent(['--dev', '--node', 'server-0', '--datacenter', 'dc1', '--config-file', cfg]);
    api = new ApiServer({ tls: apiServerTls() });
    await api.start();
    k = kubectlFor(api.kubeconfig());
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await agent?.stop();
    await api?.stop();
    k?.cleanup();
    dir.remove();
  });

  it('server-acl-init bootstraps, stores the token in the Secret and creates the policies, roles, auth methods and binding rules', async () => {
    // What the chart renders and the token controller fills: the auth-method account's long-lived token and the CA.
    const jwtFile = await saToken(`${PREFIX}-auth-method`);
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${PREFIX}-auth-method`, namespace: NS }, data: { token: b64(readFileSync(jwtFile, 'utf8')), 'ca.crt': b64(apiServerTls().ca) } }));

    const dnsAnswers = async (): Promise<number> => (await dnsQuery(agent.dnsPort, 'consul.service.consul', 'A')).answers?.length ?? 0;
    assert.equal(await dnsAnswers(), 0, 'default deny: DNS (no token) sees nothing yet');

    const r = await aclInit();
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /server-acl-init completed successfully/);
    assert.ok((await dnsAnswers()) > 0, '-allow-dns: the anonymous token reads services, so DNS answers');
    assert.doesNotMatch(r.out + r.err, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, 'no token (or any secret ID) in the output');

    const secret = JSON.parse(await kubectl(['get', 'secret', `${PREFIX}-bootstrap-acl-token`, '-n', NS, '-o', 'json'])) as { data: Record<string, string> };
    bootstrap = Buffer.from(secret.data.token as string, 'base64').toString('utf8');
    const self = await http('GET', '/v1/acl/token/self');
    assert.equal(self.status, 200, self.text);
    assert.deepEqual(names(self.json().Policies), ['global-management']);
    assert.equal((await http('PUT', '/v1/acl/bootstrap', '')).status, 403, 'bootstrapped once: a second bootstrap is refused');

    const mgw = (await http('GET', '/v1/acl/policy/name/mesh-gateway-policy')).json();
    const lines = (mgw.Rules as string).split('\n');
    for (const l of ['mesh = "write"', 'peering = "read"', 'service "mesh-gateway" {']) assert.ok(lines.includes(l), `mesh-gateway-policy has ${l}`);
    assert.match(mgw.Rules as string, /service "mesh-gateway" \{\s*policy = "write"\s*\}/);
    assert.match(mgw.Rules as string, /node_prefix "" \{\s*policy = "read"\s*\}/);
    assert.match(mgw.Rules as string, /service_prefix "" \{\s*policy = "read"\s*\}/);
    const inj = ((await http('GET', '/v1/acl/policy/name/connect-inject-policy')).json().Rules as string).split('\n');
    for (const l of ['acl = "write"', 'operator = "write"', 'mesh = "write"', 'peering = "write"']) assert.ok(inj.includes(l), `connect-inject-policy has ${l}`);

    for (const [role, policy] of [[`${PREFIX}-connect-inject-acl-role`, 'connect-inject-policy'], [`${PREFIX}-mesh-gateway-acl-role`, 'mesh-gateway-policy']]) {
      const got = await http('GET', `/v1/acl/role/name/${role}`);
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(names(got.json().Policies), [policy]);
    }

    for (const m of [WORKLOAD_METHOD, COMPONENT_METHOD]) {
      const got = await http('GET', `/v1/acl/auth-method/${m}`);
      assert.equal(got.status, 200, got.text);
      const am = got.json<{ Type: string; Config: { Host: string; CACert: string } }>();
      assert.equal(am.Type, 'kubernetes');
      assert.equal(am.Config.Host, api.url);
      assert.equal(am.Config.CACert.trim(), apiServerTls().ca.trim());
    }
    assert.equal((await http('GET', `/v1/acl/auth-method/${WORKLOAD_METHOD}`)).json().Description, 'Kubernetes Auth Method');

    const workload = (await http('GET', `/v1/acl/binding-rules?authmethod=${WORKLOAD_METHOD}`)).json<Obj[]>();
    assert.equal(workload.length, 1);
    assert.deepEqual([workload[0]?.Description, workload[0]?.BindType, workload[0]?.BindName, workload[0]?.Selector], ['Kubernetes binding rule', 'service', '${serviceaccount.name}', 'serviceaccount.name!=default']);
    const component = (await http('GET', `/v1/acl/binding-rules?authmethod=${COMPONENT_METHOD}`)).json<Obj[]>();
    assert.deepEqual(
      component.map((b) => [b.BindType, b.BindName, b.Selector]).sort(),
      [
        ['role', `${PREFIX}-connect-inject-acl-role`, `serviceaccount.name=="${PREFIX}-connect-injector"`],
        ['role', `${PREFIX}-mesh-gateway-acl-role`, `serviceaccount.name=="${PREFIX}-mesh-gateway"`],
      ],
    );
  });

  it('a second run changes nothing (same token, same indexes, no duplicate rules)', async () => {
    const snapshot = async (): Promise<string> => {
      const parts = await Promise.all([
        http('GET', '/v1/acl/policies'),
        http('GET', '/v1/acl/roles'),
        http('GET', '/v1/acl/auth-methods'),
        http('GET', `/v1/acl/binding-rules?authmethod=${WORKLOAD_METHOD}`),
        http('GET', `/v1/acl/binding-rules?authmethod=${COMPONENT_METHOD}`),
      ]);
      return JSON.stringify(parts.map((p) => p.json()));
    };
    const before = await snapshot();
    const rv = api.get('', 'secrets', NS, `${PREFIX}-bootstrap-acl-token`)?.metadata.resourceVersion;
    // consul-k8s's Job flags are accepted too.
    const r = await aclInit(['-set-server-tokens=true', '-secrets-backend=kubernetes', '-log-json']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out + r.err, /everything already in place/);
    assert.equal(await snapshot(), before);
    assert.equal(api.get('', 'secrets', NS, `${PREFIX}-bootstrap-acl-token`)?.metadata.resourceVersion, rv, 'the Secret is not rewritten');
  });

  it('a changed value is applied on the next run (peering off: the gateway policy loses peering = "read")', async () => {
    const r = await run(['k8s', 'server-acl-init', '-resource-prefix', PREFIX, '-k8s-namespace', NS, '-http-addr', agent.httpAddr, '-kubeconfig', k.kubeconfig, '-connect-inject', '-mesh-gateway', '-allow-dns', '-auth-method-host', api.url, '-timeout', '30s']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out + r.err, /policy mesh-gateway-policy/);
    assert.doesNotMatch((await http('GET', '/v1/acl/policy/name/mesh-gateway-policy')).json().Rules as string, /peering/);
    const again = await aclInit();
    assert.equal(again.code, 0, again.out + again.err);
    assert.match((await http('GET', '/v1/acl/policy/name/mesh-gateway-policy')).json().Rules as string, /^peering = "read"$/m);
  });

  it('a mesh gateway logs in with its service account, gets exactly its role, registers itself, and logs out on exit', async () => {
    const tokenFile = await saToken(`${PREFIX}-mesh-gateway`);
    const gwPort = await freePort();
    const gw = await startCli(
      ['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${gwPort}`, '--wan-address', '198.51.100.7:443', '--http-addr', agent.httpAddr, '-login-auth-method', COMPONENT_METHOD, '-login-bearer-token-path', tokenFile, '-login-meta', 'component=mesh-gateway'],
      /Mesh gateway running/,
      30_000,
    );
    procs.push(gw);
    const tokens = await loginTokens(COMPONENT_METHOD);
    assert.equal(tokens.length, 1);
    const t = await tokenDetail(tokens[0]?.AccessorID as string);
    assert.deepEqual(names(t.Roles), [`${PREFIX}-mesh-gateway-acl-role`]);
    assert.deepEqual(names(t.ServiceIdentities), []);
    assert.deepEqual(names(t.Policies), []);
    assert.equal(t.AuthMethod, COMPONENT_METHOD);
    assert.equal(t.Local, true);
    assert.equal(t.Description, 'token created via login: {"component":"mesh-gateway"}');
    const reg = await waitFor(async () => {
      const r = (await http('GET', '/v1/catalog/service/mesh-gateway')).json<Obj[]>();
      return r.length > 0 ? r : undefined;
    }, 'the gateway registered itself');
    assert.equal(reg[0]?.ServiceKind, 'mesh-gateway');
    assert.deepEqual((reg[0]?.ServiceTaggedAddresses as Record<string, { Address: string; Port: number }>).wan, { Address: '198.51.100.7', Port: 443 });
    // Its job includes carrying peering control-plane traffic to this server (mesh entry PeerThroughMeshGateways),
    // which it finds without agent:read (the policy grants none): a TLS handshake through it reaches the server.
    assert.equal((await http('PUT', '/v1/config', bootstrap, { Kind: 'mesh', Name: 'mesh', Peering: { PeerThroughMeshGateways: true } })).status, 200);
    const td = (await http('GET', '/v1/connect/ca/roots')).json<{ TrustDomain: string }>().TrustDomain;
    const serverName = `server.dc1.peering.${td}`;
    const san = await waitFor(
      () =>
        new Promise<string | undefined>((resolve) => {
          const s = tls.connect({ host: '127.0.0.1', port: gwPort, servername: serverName, ALPNProtocols: ['h2'], rejectUnauthorized: false }, () => {
            resolve(s.getPeerCertificate().subjectaltname);
            s.destroy();
          });
          s.on('error', () => resolve(undefined));
        }),
      'a TLS handshake with the server through the gateway',
      15_000,
    );
    assert.match(san, new RegExp(`DNS:${serverName.replace(/\./g, '\\.')}`));
    await gw.stop();
    assert.deepEqual(await loginTokens(COMPONENT_METHOD), [], 'logged out on shutdown');
    assert.deepEqual((await http('GET', '/v1/catalog/service/mesh-gateway')).json(), [], 'deregistered on shutdown');
  });

  it('a gateway with the wrong service account is refused: a clear error and a non-zero exit', async () => {
    const intruder = await saToken('intruder');
    const r = await run(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', '127.0.0.1:0', '--http-addr', agent.httpAddr, '-login-auth-method', COMPONENT_METHOD, '-login-bearer-token-path', intruder]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, new RegExp(`login with auth method "${COMPONENT_METHOD}" failed: Permission denied`));
    const missing = await run(['connect', 'gateway', '--kind', 'mesh', '--address', '127.0.0.1:0', '--http-addr', agent.httpAddr, '-login-auth-method', COMPONENT_METHOD, '-login-bearer-token-path', join(dir.path, 'nope')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /cannot read the bearer token file .*nope: no such file or directory/);
    const stray = await run(['connect', 'gateway', '--kind', 'mesh', '--address', '127.0.0.1:0', '--http-addr', agent.httpAddr, '-login-meta', 'a=b']);
    assert.equal(stray.code, 1);
    assert.match(stray.err, /-login-meta needs -login-auth-method/);
    assert.deepEqual(await loginTokens(COMPONENT_METHOD), []);
  });

  it('a sidecar logs in with the workload method: exactly its service identity, meta from DP_CREDENTIAL_LOGIN_META; the default account is refused', async () => {
    const app = await startApp('web says hi');
    try {
      const reg = await http('PUT', '/v1/agent/service/register', bootstrap, { Name: 'web', ID: 'web-1', Port: app.port, Connect: { SidecarService: { Port: await freePort() } } });
      assert.equal(reg.status, 200, reg.text);
      const tokenFile = await saToken('web');
      const proxy = await startCli(['connect', 'proxy', '-sidecar-for', 'web-1', '-http-addr', agent.httpAddr, '-login-auth-method', WORKLOAD_METHOD, '-login-bearer-token-path', tokenFile], /Sidecar proxy for "web-1" running/, 30_000);
      procs.push(proxy);
      const tokens = await loginTokens(WORKLOAD_METHOD);
      assert.equal(tokens.length, 1);
      const t = await tokenDetail(tokens[0]?.AccessorID as string);
      assert.deepEqual(t.ServiceIdentities, [{ ServiceName: 'web' }]);
      assert.deepEqual(names(t.Roles), []);
      assert.deepEqual(names(t.Policies), []);
      await proxy.stop();
      assert.deepEqual(await loginTokens(WORKLOAD_METHOD), [], 'logged out on shutdown');

      // The env form consul-k8s's injector sets.
      const withMeta = await startCli(['connect', 'proxy', '-sidecar-for', 'web-1', '-http-addr', agent.httpAddr, '-login-auth-method', WORKLOAD_METHOD, '-login-bearer-token-path', tokenFile], /running/, 30_000, ['env', `DP_CREDENTIAL_LOGIN_META=pod=${NS}/web-7d9f`]);
      procs.push(withMeta);
      const [metaTok] = await loginTokens(WORKLOAD_METHOD);
      assert.equal((await tokenDetail(metaTok?.AccessorID as string)).Description, `token created via login: {"pod":"${NS}/web-7d9f"}`);
      await withMeta.stop();
      assert.deepEqual(await loginTokens(WORKLOAD_METHOD), [], `logged out on shutdown:\n${withMeta.output()}`);

      const dflt = await run(['connect', 'proxy', '-sidecar-for', 'web-1', '-http-addr', agent.httpAddr, '-login-auth-method', WORKLOAD_METHOD, '-login-bearer-token-path', await saToken('default')]);
      assert.notEqual(dflt.code, 0);
      assert.match(dflt.err, /failed: Permission denied/, 'serviceaccount.name!=default: no binding, no token');
    } finally {
      app.close();
    }
  });

  it('a pod whose service account does not match its service gets only its own identity and cannot act as the service', async () => {
    const other = await saToken('billing');
    const r = await run(['connect', 'proxy', '-sidecar-for', 'web-1', '-http-addr', agent.httpAddr, '-login-auth-method', WORKLOAD_METHOD, '-login-bearer-token-path', other]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.err, /Permission denied/);
    assert.deepEqual(await loginTokens(WORKLOAD_METHOD), [], 'the failed start logged out again');
  });

  it('the controller logs in with the component method and its own role', async () => {
    const tokenFile = await saToken(`${PREFIX}-connect-injector`);
    const ctl = await startCli(['k8s', 'controller', '--kubeconfig', k.kubeconfig, '--http-addr', agent.httpAddr, '--enable-peering=false', '-login-auth-method', COMPONENT_METHOD, '-login-bearer-token-path', tokenFile, '-login-meta', 'component=connect-injector'], /Kubernetes controller running/, 30_000);
    procs.push(ctl);
    const [t] = await loginTokens(COMPONENT_METHOD);
    assert.deepEqual(names((await tokenDetail(t?.AccessorID as string)).Roles), [`${PREFIX}-connect-inject-acl-role`]);
    await ctl.stop();
    assert.deepEqual(await loginTokens(COMPONENT_METHOD), []);
  });

  it('fails clearly when the Secret holds a token the server does not know, or was deleted after bootstrap', async () => {
    const secretName = `${PREFIX}-bootstrap-acl-token`;
    const bogus = Buffer.from('00000000-1111-4222-8333-444444444444').toString('base64');
    await kubectl(['patch', 'secret', secretName, '-n', NS, '--type', 'merge', '-p', JSON.stringify({ data: { token: bogus } })]);
    const r = await aclInit();
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`the token in Secret ${NS}/${secretName} is not known to the server`));
    assert.doesNotMatch(r.err + r.out, /00000000-1111/, 'the token itself is not printed');
    await kubectl(['delete', 'secret', secretName, '-n', NS]);
    const gone = await aclInit();
    assert.equal(gone.code, 1);
    assert.match(gone.err, new RegExp(`ACLs are already bootstrapped but Secret ${NS}/${secretName} holds no bootstrap token`));
  });

  it('waits for the server within -timeout, then names what it waited for', async () => {
    const r = await run(['k8s', 'server-acl-init', '-resource-prefix', PREFIX, '-k8s-namespace', NS, '-server-address', '127.0.0.1', '-server-port', String(await freePort()), '-kubeconfig', k.kubeconfig, '-timeout', '2s']);
    assert.equal(r.code, 1);
    assert.match(r.err, /waiting for a server with a leader: gave up after 2s: .*connection refused/);
    const usage = await run(['k8s', 'server-acl-init', '-k8s-namespace', NS]);
    assert.equal(usage.code, 1);
    assert.match(usage.err, /-resource-prefix must be set/);
    const vault = await run(['k8s', 'server-acl-init', '-resource-prefix', PREFIX, '-k8s-namespace', NS, '-secrets-backend', 'vault']);
    assert.equal(vault.code, 1);
    assert.match(vault.err, /-secrets-backend "vault" is not supported: only "kubernetes"/);
  });
});
