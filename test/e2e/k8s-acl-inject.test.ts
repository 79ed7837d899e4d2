// Managed ACLs across the whole Kubernetes path (issue 14): chart values (manageSystemACLs) → server-acl-init →
// the controller logged in with its component role → webhook injection with login flags → endpoints sync with the
// controller's token → the injected init container and sidecar logging in with the pod's service-account token.
//
// Real: helm (renders the chart), kubectl, an `isthmus agent` with ACLs on and default deny, `isthmus k8s
// server-acl-init`, the `isthmus k8s controller` process (webhook over TLS with the chart's certificate, endpoints
// controller), the injected `isthmus k8s connect-init` and `isthmus connect proxy` processes run from the stored
// pod's spec in a real network namespace, TokenReview calls from the server to the API server.
// Simulated: the API server (test/k8s/apiserver), the kubelet (test/k8s/kubelet.ts: the pod's service-account token
// is a file minted by `kubectl create token`), kube-controller-manager (the test writes the Endpoints and the
// token controller's Secret for the auth-method account).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls } from '../k8s/fixtures.js';
import { Kubelet, type PodContainer, type StoredPod } from '../k8s/kubelet.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { CHART, helm } from '../k8s/tools.js';
import { BIN, ROOT, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { createNetns, netnsUnavailable, type Netns } from '../support/netns.js';
import { startCli, type CliProcess } from '../support/processes.js';

const skip = netnsUnavailable();
if (skip) console.log(`# k8s managed-ACL injection e2e skipped: ${skip}`);

type Obj = Record<string, unknown>;
const NODE = 'kind-worker';
const NS = 'consul';
const PREFIX = 'r-isthmus';
const WORKLOAD_METHOD = `${PREFIX}-k8s-auth-method`;
const SA_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const POD = 'web-7c9d8f6b5-q8w2e';
const dir = tempDir('k8s-acl-inject');

let ns: Netns;
let agent: AgentProcess;
let api: ApiServer;
let k: Kubectl;
let controller: CliProcess | undefined;
let webhookPort = 0;
let bootstrap = '';
const kubelets: Kubelet[] = [];

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}
async function http<T = Obj>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; text: string }> {
  const r = await fetch(`${agent.httpAddr}${path}`, { method, headers: { 'X-Consul-Token': bootstrap }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, text, json: (text ? JSON.parse(text) : undefined) as T };
}
async function apply(...docs: Obj[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return k(['apply', '-f', '-'], docs.map((d) => yaml.dump(d)).join('---\n'));
}
async function mustApply(...docs: Obj[]): Promise<void> {
  const r = await apply(...docs);
  assert.equal(r.code, 0, r.stderr);
}
/** A service account and a token for it in a file the pod's processes (uid 5995/5996) can read. */
async function saToken(name: string, namespace: string): Promise<string> {
  if (!api.get('', 'serviceaccounts', namespace, name)) await mustApply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  const r = await k(['create', 'token', name, '-n', namespace]);
  assert.equal(r.code, 0, r.stderr);
  const file = join(dir.path, `${namespace}-${name}.jwt`);
  writeFileSync(file, r.stdout.trim());
  chmodSync(file, 0o644);
  return file;
}
const container = (pod: StoredPod, name: string, init = false): PodContainer => {
  const c = (init ? pod.spec.initContainers : pod.spec.containers)?.find((x) => x.name === name);
  assert.ok(c, `container ${name} in the stored pod`);
  return c;
};
const storedPod = async (name: string): Promise<StoredPod> => JSON.parse((await k(['get', 'pod', name, '-o', 'json'])).stdout) as StoredPod;
const loginTokens = async (): Promise<{ AccessorID: string; Description: string; ServiceIdentities?: { ServiceName: string }[]; Roles?: unknown[]; Policies?: unknown[] }[]> =>
  (await http<{ AccessorID: string; Description: string; ServiceIdentities?: { ServiceName: string }[]; Roles?: unknown[]; Policies?: unknown[] }[]>('GET', `/v1/acl/tokens?authmethod=${WORKLOAD_METHOD}`)).json;

const podDoc = (name: string, sa: string, service: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: service }, annotations: { 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service': service, 'consul.hashicorp.com/transparent-proxy': 'false' } },
  spec: { serviceAccountName: sa, nodeName: NODE, containers: [{ name: service, image: `example/${service}:1`, ports: [{ name: 'http', containerPort: 8080 }] }] },
});

before(async () => {
  if (skip) return;
  chmodSync(dir.path, 0o755);
  ns = createNetns('k8sacl');
  // The chart with managed ACLs: its webhook certificate and configuration, and the controller's flags.
  const r = helm(['template', 'r', CHART, '--namespace', NS, '--set', 'global.acls.manageSystemACLs=true', '--set', 'connectInject.enabled=true']);
  assert.equal(r.code, 0, r.stderr);
  const docs = (yaml.loadAll(r.stdout) as (Obj | null)[]).filter((d): d is Obj => d !== null);
  const named = (kind: string, name: string): Obj => docs.find((d) => d.kind === kind && (d.metadata as Obj).name === name) as Obj;
  const cert = named('Secret', `${PREFIX}-connect-inject-webhook-cert`).data as Record<string, string>;
  writeFileSync(join(dir.path, 'tls.crt'), Buffer.from(cert['tls.crt'] as string, 'base64'));
  writeFileSync(join(dir.path, 'tls.key'), Buffer.from(cert['tls.key'] as string, 'base64'));
  const ctlArgs = ((named('Deployment', `${PREFIX}-connect-injector`) as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]?.args ?? []).slice(2);

  const cfg = join(dir.path, 'acl.json');
  writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny' } }));
  agent = await startAgent(['--dev', '--node', 'server-0', '--datacenter', 'dc1', '--bind', ns.hostIp, '--config-file', cfg]);
  api = new ApiServer({ bookmarkIntervalMs: 1000, tls: apiServerTls(), resolveService: (svc, n) => (svc === `${PREFIX}-connect-injector` && n === NS ? `127.0.0.1:${webhookPort}` : undefined) });
  await api.start();
  k = kubectlFor(api.kubeconfig());
  await mustApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { addresses: [{ type: 'InternalIP', address: ns.hostIp }] } });
  const hooks = await apply(...docs.filter((d) => d.kind === 'CustomResourceDefinition' || d.kind === 'MutatingWebhookConfiguration'));
  assert.equal(hooks.code, 0, hooks.stderr);

  // The token controller's work for the chart's auth-method account Secret, then the chart's Job.
  const reviewer = await saToken(`${PREFIX}-auth-method`, NS);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  await mustApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${PREFIX}-auth-method`, namespace: NS }, data: { token: b64(readFileSync(reviewer, 'utf8')), 'ca.crt': b64(apiServerTls().ca) } });
  const init = await run(['k8s', 'server-acl-init', '-resource-prefix', PREFIX, '-k8s-namespace', NS, '-http-addr', agent.httpAddr, '-kubeconfig', k.kubeconfig, '-connect-inject', '-allow-dns', '-auth-method-host', api.url, '-timeout', '60s']);
  assert.equal(init.code, 0, init.out);
  bootstrap = Buffer.from(((api.get('', 'secrets', NS, `${PREFIX}-bootstrap-acl-token`)?.data ?? {}) as Record<string, string>).token ?? '', 'base64').toString('utf8');
  assert.ok(bootstrap);

  // The controller as the chart runs it (flags from the rendered Deployment; in-pod paths mapped to this host).
  const injector = await saToken(`${PREFIX}-connect-injector`, NS);
  const args = ctlArgs
    .filter((a) => !/^--?(webhook-|log-level)/.test(a))
    .map((a) => a.split(SA_TOKEN_PATH).join(injector).split('$(POD_NAMESPACE)/$(POD_NAME)').join(`${NS}/${PREFIX}-connect-injector-5d8f-abcde`));
  assert.ok(args.includes(`--acl-auth-method=${WORKLOAD_METHOD}`), args.join(' '));
  assert.ok(args.includes(`-login-auth-method=${PREFIX}-k8s-component-auth-method`), args.join(' '));
  controller = await startCli(
    ['k8s', 'controller', ...args, '--kubeconfig', k.kubeconfig, '--http-addr', agent.httpAddr, '--webhook-addr', '127.0.0.1:0', '--webhook-tls-cert-file', join(dir.path, 'tls.crt'), '--webhook-tls-key-file', join(dir.path, 'tls.key'), '--resync-period', '2s', '--log-level', 'debug'],
    /Kubernetes controller running/,
    60_000,
  );
  webhookPort = Number(/Admission webhooks: https:\/\/127\.0\.0\.1:(\d+)/.exec(controller.output())?.[1]);
});

after(async () => {
  if (skip) return;
  for (const kl of kubelets) await kl.stopAll();
  await controller?.stop();
  await agent?.stop();
  await api?.stop();
  k?.cleanup();
  ns?.destroy();
  dir.remove();
});

describe('managed ACLs through injection: chart → server-acl-init → controller → webhook → init + sidecar login', { skip, timeout: 300_000 }, () => {
  let pod: StoredPod;
  let kubelet: Kubelet;

  it('the controller runs on a login token with exactly its component role', async () => {
    const r = await http<{ AccessorID: string }[]>('GET', `/v1/acl/tokens?authmethod=${PREFIX}-k8s-component-auth-method`);
    assert.equal(r.json.length, 1);
    const t = (await http<Obj>('GET', `/v1/acl/token/${r.json[0]?.AccessorID}`)).json;
    assert.deepEqual((t.Roles as { Name: string }[]).map((x) => x.Name), [`${PREFIX}-connect-inject-acl-role`]);
    assert.equal(t.Description, `token created via login: {"component":"connect-injector","pod":"${NS}/${PREFIX}-connect-injector-5d8f-abcde"}`);
  });

  it('an annotated pod is injected with login flags; the endpoints controller registers it with its login token', async () => {
    const tokenFile = await saToken('web', 'default');
    await mustApply(podDoc(POD, 'web', 'web'));
    pod = await storedPod(POD);
    const init = container(pod, 'consul-connect-inject-init', true);
    const sidecar = container(pod, 'consul-dataplane');
    for (const c of [init, sidecar]) {
      assert.ok(c.args?.includes(`-login-auth-method=${WORKLOAD_METHOD}`), c.args?.join(' '));
      assert.ok(c.args?.includes(`-login-bearer-token-path=${SA_TOKEN_PATH}`), c.args?.join(' '));
    }
    assert.ok(sidecar.env?.some((e) => e.name === 'DP_CREDENTIAL_LOGIN_META' && e.value === 'pod=$(POD_NAMESPACE)/$(POD_NAME)'));
    // What the kubelet and kube-controller-manager would write: the pod's IPs, then its Endpoints.
    const st = await k(['patch', 'pod', POD, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', podIP: ns.nsIp, hostIP: ns.hostIp } })]);
    assert.equal(st.code, 0, st.stderr);
    await mustApply(
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.40', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: ns.nsIp, nodeName: NODE, targetRef: { kind: 'Pod', name: POD, namespace: 'default' } }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] },
    );
    await waitFor(async () => ((await http<unknown[]>('GET', '/v1/catalog/service/web-sidecar-proxy')).json.length === 1 ? true : undefined), `the controller registered web and its proxy:\n${controller?.output().slice(-3000)}`, 60_000);
    kubelet = new Kubelet({ nodeName: NODE, hostIp: ns.hostIp, netns: ns, volumesDir: join(dir.path, 'volumes'), files: { [SA_TOKEN_PATH]: tokenFile } });
    kubelets.push(kubelet);
  });

  it('the injected init container and sidecar log in as the pod: exactly the service identity "web", pod meta; the sidecar serves', async () => {
    const init = await kubelet.runToCompletion(pod, container(pod, 'consul-connect-inject-init', true), 60_000);
    assert.equal(init.code, 0, init.output);
    assert.match(init.output, /Logged in with auth method r-isthmus-k8s-auth-method/);
    assert.match(init.output, new RegExp(`Registered service has been detected: proxy ${POD}-web-sidecar-proxy`));
    const sidecar = kubelet.start(pod, container(pod, 'consul-dataplane'));
    await waitFor(async () => (/Sidecar proxy for "[^"]+" running/.test(sidecar.output()) ? true : undefined), `sidecar running:\n${sidecar.output()}`, 30_000);
    const tokens = await loginTokens();
    assert.equal(tokens.length, 2, 'one login for the init container, one for the sidecar');
    for (const t of tokens) {
      assert.deepEqual(t.ServiceIdentities, [{ ServiceName: 'web' }]);
      assert.deepEqual(t.Roles ?? [], []);
      assert.deepEqual(t.Policies ?? [], []);
      assert.equal(t.Description, `token created via login: {"pod":"default/${POD}"}`);
    }
    // The sidecar's inbound listener is up in the pod's network namespace (it holds its leaf certificate).
    const probe = await ns.exec([process.execPath, '-e', `require('node:net').connect(20000, '${ns.nsIp}').on('connect', () => { console.log('open'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(1) })`]);
    assert.match(probe.stdout, /open/);
  });

  it('a pod whose service account does not match its service is refused at admission', async () => {
    await saToken('billing', 'default');
    const r = await apply(podDoc('web-7c9d8f6b5-zzzzz', 'billing', 'web'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /service account name billing doesn't match annotation service name web/);
  });

  it('pod deletion: the endpoints controller deregisters it and deletes its login tokens (its token has acl:write)', async () => {
    await kubelet.stopAll();
    const d = await k(['delete', 'pod', POD]);
    assert.equal(d.code, 0, d.stderr);
    await mustApply({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets: [] });
    await waitFor(async () => ((await http<unknown[]>('GET', '/v1/catalog/service/web')).json.length === 0 ? true : undefined), 'web deregistered', 60_000);
    await waitFor(async () => ((await loginTokens()).length === 0 ? true : undefined), `the pod's login tokens deleted:\n${controller?.output().slice(-3000)}`, 60_000);
  });
});
