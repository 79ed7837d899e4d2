// Connect injection with managed ACLs (global.acls.manageSystemACLs, default deny), end to end: the chart's
// controller flags (login with the component auth method, --acl-auth-method for injected pods), the real
// `isthmus k8s server-acl-init`, the webhook refusing a pod whose service account is not its service, and the
// injected init container and sidecar logging in with the pod's service-account token (minted by kubectl
// against the double, checked by the server with a TokenReview). Simulated as in k8s-inject.test.ts: the API
// server, kubelet, scheduler and kube-controller-manager.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls } from '../k8s/fixtures.js';
import { deploymentPod, endpointsObject, NODE, nodeObject, renderInjectChart, scheduleAndReport, serviceObject, WEBHOOK, webhookObjects } from '../k8s/inject-fixtures.js';
import { expand, Kubelet, type PodContainer, type StoredPod } from '../k8s/kubelet.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { BIN, ROOT, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { createNetns, netnsUnavailable, type Netns } from '../support/netns.js';
import { startCli, type CliProcess } from '../support/processes.js';
import { originalDstUnavailable } from '../../src/proxy/tproxy/original-dst.js';

const skip = netnsUnavailable() ?? originalDstUnavailable();
if (skip) console.log(`# k8s connect-injection ACL e2e skipped: ${skip}`);

type Obj = Record<string, unknown>;
const NS = 'consul';
const PREFIX = 'r-isthmus';
const WORKLOAD_METHOD = `${PREFIX}-k8s-auth-method`;
const SA_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const dir = tempDir('k8s-inject-acl');

let ns: Netns;
let agent: AgentProcess;
let api: ApiServer;
let k: Kubectl;
let controller: CliProcess;
let webhookPort = 0;
let bootstrap = '';

/** Runs the CLI to completion without blocking this process (the API-server double answers from here). */
function run(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const r = await k(args, stdin);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function http<T = Obj>(method: string, path: string, token = bootstrap): Promise<{ status: number; body: T }> {
  const r = await fetch(`${agent.httpAddr}${path}`, { method, headers: token ? { 'X-Consul-Token': token } : {} });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A service account's token in a file (what the kubelet mounts at the service-account token path). */
async function saToken(name: string, namespace: string): Promise<string> {
  if (!api.get('', 'serviceaccounts', namespace, name)) await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }));
  const file = join(dir.path, `${namespace}-${name}.token`);
  writeFileSync(file, (await kubectl(['create', 'token', name, '-n', namespace])).trim(), { mode: 0o644 });
  return file;
}

const workloadTokens = async (): Promise<Obj[]> => {
  const r = await http<Obj[]>('GET', `/v1/acl/tokens?authmethod=${WORKLOAD_METHOD}`);
  assert.equal(r.status, 200);
  return Promise.all(r.body.map(async (t) => (await http('GET', `/v1/acl/token/${t.AccessorID as string}`)).body));
};

before(async () => {
  if (skip) return;
  ns = createNetns('k8sacl');
  chmodSync(dir.path, 0o755); // the sidecar (uid 5995) reads its files under it
  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny' } }));
  agent = await startAgent(['--dev', '--node', 'server-0', '--datacenter', 'dc1', '--bind', ns.hostIp, '--config-file', cfg]);
  api = new ApiServer({ tls: apiServerTls(), resolveService: (svc, n) => (svc === `${PREFIX}-connect-injector` && n === NS ? `127.0.0.1:${webhookPort}` : undefined) });
  await api.start();
  k = kubectlFor(api.kubeconfig());
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
  // What the chart renders and the token controller fills: the auth-method account's token and the CA.
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const authJwt = readFileSync(await saToken(`${PREFIX}-auth-method`, NS), 'utf8');
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${PREFIX}-auth-method`, namespace: NS }, data: { token: b64(authJwt), 'ca.crt': b64(apiServerTls().ca) } }));
  const init = await run(['k8s', 'server-acl-init', '-resource-prefix', PREFIX, '-k8s-namespace', NS, '-http-addr', agent.httpAddr, '-kubeconfig', k.kubeconfig, '-connect-inject', '-auth-method-host', api.url, '-timeout', '30s']);
  assert.equal(init.code, 0, init.out);
  const secret = JSON.parse(await kubectl(['get', 'secret', `${PREFIX}-bootstrap-acl-token`, '-n', NS, '-o', 'json'])) as { data: Record<string, string> };
  bootstrap = Buffer.from(secret.data.token as string, 'base64').toString('utf8');

  const chart = renderInjectChart(['global.acls.manageSystemACLs=true']);
  writeFileSync(join(dir.path, 'tls.crt'), chart.cert);
  writeFileSync(join(dir.path, 'tls.key'), chart.key);
  assert.equal((await k(['apply', '-f', '-'], webhookObjects(chart))).code, 0);
  // The controller pod's env and mounted token, as the kubelet would give them.
  const ctlToken = await saToken(`${PREFIX}-connect-injector`, NS);
  const vars = { POD_NAMESPACE: NS, POD_NAME: `${PREFIX}-connect-injector-5d9c7-qwert` };
  const args = chart.controllerArgs.map((a) => expand(a, vars).replace(SA_TOKEN_PATH, ctlToken));
  assert.ok(args.includes(`--acl-auth-method=${WORKLOAD_METHOD}`), `the chart passes the workload auth method: ${args.join(' ')}`);
  controller = await startCli(
    ['k8s', 'controller', ...args, '--kubeconfig', k.kubeconfig, '--http-addr', agent.httpAddr, '--webhook-addr', '127.0.0.1:0', '--webhook-tls-cert-file', join(dir.path, 'tls.crt'), '--webhook-tls-key-file', join(dir.path, 'tls.key'), '--log-level', 'debug'],
    /Kubernetes controller running/,
    60_000,
  );
  webhookPort = Number(/Admission webhooks: https:\/\/127\.0\.0\.1:(\d+)/.exec(controller.output())?.[1]);
  assert.equal((await k(['apply', '-f', '-'], nodeObject(ns.hostIp))).code, 0);
});

after(async () => {
  if (skip) return;
  await controller?.stop();
  await agent?.stop();
  await api?.stop();
  k?.cleanup();
  ns?.destroy();
  dir.remove();
});

describe('Kubernetes connect injection with managed ACLs', { skip, timeout: 240_000 }, () => {
  const POD = 'client-7c9d8f6b5-acl01';
  let kubelet: Kubelet;
  let pod: StoredPod;
  const container = (name: string, init = false): PodContainer => {
    const c = (init ? pod.spec.initContainers : pod.spec.containers)?.find((x) => x.name === name);
    assert.ok(c, `container ${name}`);
    return c;
  };

  it('refuses a pod whose service account does not match its connect-service annotation', async () => {
    await saToken('billing', 'default');
    const r = await k(['apply', '-f', '-'], deploymentPod('client-7c9d8f6b5-wrong', 'client', { 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service': 'client' }, { serviceAccountName: 'billing' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`admission webhook "${WEBHOOK.replace(/\./g, '\\.')}" denied the request: service account name billing doesn't match annotation service name client`));
    assert.equal(api.get('', 'pods', 'default', 'client-7c9d8f6b5-wrong'), undefined);
  });

  it('the injected init container and sidecar log in with the pod’s token and get exactly its service identity', async () => {
    kubelet = new Kubelet({ nodeName: NODE, hostIp: ns.hostIp, netns: ns, volumesDir: join(dir.path, 'volumes'), files: { [SA_TOKEN_PATH]: await saToken('client', 'default') } });
    await kubectl(['apply', '-f', '-'], deploymentPod(POD, 'client', { 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service': 'client' }));
    pod = JSON.parse(await kubectl(['get', 'pod', POD, '-o', 'json'])) as StoredPod;
    const login = [`-login-auth-method=${WORKLOAD_METHOD}`, `-login-bearer-token-path=${SA_TOKEN_PATH}`, '-login-meta=pod=$(POD_NAMESPACE)/$(POD_NAME)'];
    for (const l of login) {
      assert.ok(container('consul-connect-inject-init', true).args?.includes(l), `init has ${l}`);
      assert.ok(container('consul-dataplane').args?.includes(l), `sidecar has ${l}`);
    }
    // Default deny: without a login nothing of the catalog is visible.
    assert.deepEqual((await http('GET', '/v1/catalog/services', '')).body, {});

    await kubectl(['apply', '-f', '-'], serviceObject('client', '10.96.0.30'));
    for (const args of scheduleAndReport(POD, ns.nsIp, ns.hostIp)) await kubectl(args);
    await kubectl(['apply', '-f', '-'], endpointsObject('client', [[POD, ns.nsIp]]));
    const init = await kubelet.runToCompletion(pod, container('consul-connect-inject-init', true), 60_000);
    assert.equal(init.code, 0, `${init.output}\ncontroller:\n${controller.output().slice(-3000)}`);
    assert.match(init.output, new RegExp(`Logged in with auth method ${WORKLOAD_METHOD}`));
    assert.match(init.output, /Registered service has been detected/);

    const [initToken, ...rest] = await workloadTokens();
    assert.equal(rest.length, 0);
    assert.deepEqual(initToken?.ServiceIdentities, [{ ServiceName: 'client' }]);
    assert.deepEqual([initToken?.Roles ?? [], initToken?.Policies ?? []], [[], []]);
    assert.equal(initToken?.Description, `token created via login: {"pod":"default/${POD}"}`);
    const sink = join(kubelet.volumePath(pod, 'consul-connect-inject-data'), 'acl-token');
    assert.equal(readFileSync(sink, 'utf8'), initToken?.SecretID, 'the init container keeps its token in the shared volume');
    assert.equal(statSync(sink).mode & 0o777, 0o600);

    const sidecar = kubelet.start(pod, container('consul-dataplane'));
    await waitFor(async () => (/Sidecar proxy for ".*-client" running/.test(sidecar.output()) ? true : undefined), `sidecar running:\n${sidecar.output()}`, 30_000);
    const tokens = await workloadTokens();
    assert.equal(tokens.length, 2);
    for (const t of tokens) assert.deepEqual(t.ServiceIdentities, [{ ServiceName: 'client' }]);
    await sidecar.stop();
    assert.equal((await workloadTokens()).length, 1, 'the sidecar logs out when it stops');
  });

  it('deleting the pod deregisters it and deletes its remaining login token', async () => {
    await kubectl(['delete', 'pod', POD]);
    await kubectl(['apply', '-f', '-'], endpointsObject('client', []));
    await waitFor(async () => ((await workloadTokens()).length === 0 ? true : undefined), 'the init container’s token deleted', 30_000);
    assert.deepEqual((await http('GET', '/v1/catalog/service/client')).body, []);
    assert.match(controller.output(), /login token of a deleted pod deleted/);
  });
});
