// Kubernetes connect injection end to end (issue 14): chart values → webhook → injected init container and
// sidecar → the app's traffic across a peering.
//
// Real: helm (renders the chart), kubectl, the `isthmus k8s controller` process serving the webhook over TLS
// with the chart's certificate, two `isthmus agent` clusters peered over gRPC/TLS, mesh gateways, the
// injected `isthmus k8s connect-init` and `isthmus connect proxy` processes run from the stored pod's spec,
// iptables rules in a real network namespace, real TCP/mTLS traffic.
// Simulated: the API server (test/k8s/apiserver, which calls the webhook and applies its JSON patch as
// kube-apiserver does), the kubelet (test/k8s/kubelet.ts: the pod is a network namespace, containers are
// processes, volumes are host directories, and it reports the pod's IPs), the scheduler (sets spec.nodeName),
// and kube-controller-manager (the test applies the pod a Deployment's template would produce, and writes the
// Endpoints object of the Service). The endpoints controller that registers the pod is the real one, inside
// the same `isthmus k8s controller` process.
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { originalDstUnavailable } from '../../src/proxy/tproxy/original-dst.js';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls } from '../k8s/fixtures.js';
import { Kubelet, type PodContainer, type StoredPod } from '../k8s/kubelet.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { deploymentPod, endpointsObject as endpointsOf, NODE, nodeObject, renderInjectChart, scheduleAndReport, serviceObject, webhookObjects, WEBHOOK } from '../k8s/inject-fixtures.js';
import { runCli, startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { createNetns, netnsUnavailable, type Netns } from '../support/netns.js';
import { freePort, startApp, startCli, type CliProcess } from '../support/processes.js';

const skip = netnsUnavailable() ?? originalDstUnavailable();
if (skip) console.log(`# k8s connect-injection e2e skipped: ${skip}`);

type Obj = Record<string, unknown>;
const dir = tempDir('k8s-inject');

let ns: Netns;
let east: AgentProcess;
let west: AgentProcess;
let api: ApiServer;
let k: Kubectl;
let kubelet: Kubelet;
let controller: CliProcess;
let webhookPort = 0;
let backend: { port: number; close(): void };
const procs: CliProcess[] = [];

const put = async (a: AgentProcess, path: string, body: unknown): Promise<void> => {
  const r = await fetch(a.httpAddr + path, { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(r.status, 200, `${path}: ${await r.text()}`);
};
const getJson = async <T>(a: AgentProcess, path: string): Promise<T> => (await (await fetch(a.httpAddr + path)).json()) as T;
const apply = async (doc: string): Promise<{ code: number | null; stderr: string; stdout: string }> => k(['apply', '-f', '-'], doc);

const CLUSTER_IP = '10.96.0.20';

const storedPod = async (name: string, namespace = 'default'): Promise<StoredPod | undefined> => {
  const r = await k(['get', 'pod', name, '-n', namespace, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as StoredPod) : undefined;
};
const container = (pod: StoredPod, name: string, init = false): PodContainer => {
  const c = (init ? pod.spec.initContainers : pod.spec.containers)?.find((x) => x.name === name);
  assert.ok(c, `container ${name} in the stored pod`);
  return c;
};

/** The app: reads its upstream address from the injected env vars and sends one HTTP request there. */
const APP = `
const net = require('node:net');
const host = process.env['BACKEND.SVC.EAST.PEER_CONNECT_SERVICE_HOST'];
const port = Number(process.env['BACKEND.SVC.EAST.PEER_CONNECT_SERVICE_PORT']);
const s = net.connect({ host, port });
let body = ''; let done = false;
const finish = (extra) => { if (done) return; done = true; console.log(JSON.stringify({ target: host + ':' + port, body, ...extra })); s.destroy(); };
s.setTimeout(8000, () => finish({ error: 'timeout' }));
s.on('connect', () => s.write('GET /hello HTTP/1.1\\r\\nHost: backend\\r\\nConnection: close\\r\\n\\r\\n'));
s.on('data', (d) => (body += d));
s.on('error', (e) => finish({ error: e.code || e.message }));
s.on('close', () => finish({}));
`;

before(async () => {
  if (skip) return;
  ns = createNetns('k8s');
  const chart = renderInjectChart(['global.peering.enabled=true', 'global.tls.enabled=true', 'meshGateway.enabled=true']);
  writeFileSync(join(dir.path, 'tls.crt'), chart.cert);
  writeFileSync(join(dir.path, 'tls.key'), chart.key);
  chmodSync(dir.path, 0o755); // the sidecar (uid 5995) reads the proxy-id file under it
  // East: the exporting cluster (plain isthmus): backend + its sidecar + a mesh gateway.
  backend = await startApp('backend in east');
  [east, west] = await Promise.all([startAgent(['--dev', '--node', 'e1', '--datacenter', 'east']), startAgent(['--dev', '--node', 'w1', '--datacenter', 'west', '--bind', ns.hostIp])]);
  const token = runCli(['peering', 'generate-token', '--name', 'west', '--http-addr', east.httpAddr]).stdout.trim();
  assert.equal(runCli(['peering', 'establish', '--name', 'east', '--peering-token', token, '--http-addr', west.httpAddr]).code, 0);
  await put(east, '/v1/agent/service/register', { Name: 'backend', Port: backend.port, Connect: { SidecarService: { Port: await freePort() } } });
  procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `127.0.0.1:${await freePort()}`, '--http-addr', east.httpAddr], /Mesh gateway running/));
  procs.push(await startCli(['connect', 'proxy', '--sidecar-for', 'backend', '--log-level', 'debug', '--http-addr', east.httpAddr], /Sidecar proxy for "backend" running/));
  assert.equal(runCli(['services', 'export', '--name', 'backend', '--consumer-peers', 'west', '--http-addr', east.httpAddr]).code, 0);
  // Calls from peers are denied unless an intention allows them.
  await put(east, '/v1/config', { Kind: 'service-intentions', Name: 'backend', Sources: [{ Name: 'client', Peer: 'west', Action: 'allow' }] });
  // West: the Kubernetes cluster: its server, a local-mode mesh gateway, the API server and the controller.
  await put(west, '/v1/config', { Kind: 'proxy-defaults', Name: 'global', MeshGateway: { Mode: 'local' } });
  procs.push(await startCli(['connect', 'gateway', '--kind', 'mesh', '--register', '--address', `${ns.hostIp}:${await freePort()}`, '--log-level', 'debug', '--http-addr', west.httpAddr], /Mesh gateway running/));
  api = new ApiServer({ bookmarkIntervalMs: 1000, tls: apiServerTls(), resolveService: (svc, n) => (svc === 'r-isthmus-connect-injector' && n === 'consul' ? `127.0.0.1:${webhookPort}` : undefined) });
  await api.start();
  k = kubectlFor(api.kubeconfig());
  const applied = await apply(webhookObjects(chart));
  assert.equal(applied.code, 0, applied.stderr);
  controller = await startCli(
    ['k8s', 'controller', ...chart.controllerArgs, '--kubeconfig', k.kubeconfig, '--http-addr', west.httpAddr, '--webhook-addr', '127.0.0.1:0', '--webhook-tls-cert-file', join(dir.path, 'tls.crt'), '--webhook-tls-key-file', join(dir.path, 'tls.key'), '--log-level', 'debug'],
    /Kubernetes controller running/,
  );
  webhookPort = Number(/Admission webhooks: https:\/\/127\.0\.0\.1:(\d+)/.exec(controller.output())?.[1]);
  kubelet = new Kubelet({ nodeName: NODE, hostIp: ns.hostIp, netns: ns, volumesDir: join(dir.path, 'volumes') });
  await waitFor(async () => ((await getJson<unknown[]>(west, '/v1/health/connect/backend?peer=east')).length > 0 ? true : undefined), 'backend imported on west', 20_000);
});

after(async () => {
  if (skip) return;
  await kubelet?.stopAll();
  await Promise.all(procs.map((p) => p.stop()));
  await controller?.stop();
  await Promise.all([east?.stop(), west?.stop()]);
  await api?.stop();
  k?.cleanup();
  backend?.close();
  ns?.destroy();
  dir.remove();
});

describe('Kubernetes connect injection end to end', { skip, timeout: 240_000 }, () => {
  const POD = 'client-7c9d8f6b5-x2x7k';
  const UPSTREAMS = 'backend.svc.east.peer:1234';
  let pod: StoredPod;

  it('kubectl apply of an annotated pod stores it with the injected containers (the webhook’s JSON patch)', async () => {
    assert.equal((await apply('apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: client\n')).code, 0);
    const r = await apply(deploymentPod(POD, 'client', { 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service-upstreams': UPSTREAMS }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`pod/${POD} created`));
    pod = (await storedPod(POD)) as StoredPod;
    assert.deepEqual(pod.spec.containers.map((c) => c.name), ['consul-dataplane', 'client']);
    assert.deepEqual(pod.spec.initContainers?.map((c) => c.name), ['consul-connect-inject-init']);
    assert.deepEqual(pod.spec.volumes, [{ name: 'consul-connect-inject-data', emptyDir: { medium: 'Memory' } }]);
    assert.equal(pod.metadata.annotations?.['consul.hashicorp.com/connect-inject-status'], 'injected');
    assert.equal(pod.metadata.annotations?.['consul.hashicorp.com/transparent-proxy-status'], 'enabled');
    assert.equal(pod.metadata.labels?.['consul.hashicorp.com/connect-inject-managed-by'], 'consul-k8s-endpoints-controller');
    assert.equal(pod.metadata.labels?.['pod-template-hash'], '7c9d8f6b5', 'the pod’s own labels are kept');
    const sidecar = container(pod, 'consul-dataplane');
    assert.deepEqual(sidecar.command, ['isthmus']);
    assert.deepEqual(sidecar.args?.slice(0, 2), ['connect', 'proxy']);
    assert.equal(sidecar.securityContext?.runAsUser, 5995);
    const init = container(pod, 'consul-connect-inject-init', true);
    const redirect = JSON.parse(init.env?.find((e) => e.name === 'CONSUL_REDIRECT_TRAFFIC_CONFIG')?.value ?? '{}') as Obj;
    assert.equal(redirect.ProxyUserID, '5995');
    assert.equal(redirect.ProxyInboundPort, 20000);
    assert.deepEqual(redirect.ExcludeUIDs, ['5996']);
    // The injector sends the servers' address the controller itself uses.
    assert.equal(init.env?.find((e) => e.name === 'CONSUL_HTTP_ADDR')?.value, west.httpAddr);
    const app = container(pod, 'client');
    assert.deepEqual(app.env, [{ name: 'BACKEND.SVC.EAST.PEER_CONNECT_SERVICE_HOST', value: '127.0.0.1' }, { name: 'BACKEND.SVC.EAST.PEER_CONNECT_SERVICE_PORT', value: '1234' }]);
    assert.ok(api.requests.some((l) => l.startsWith('POST /api/v1/namespaces/default/pods')));
    assert.match(controller.output(), /pod injected/);
  });

  it('the injected init container waits until the endpoints controller registers the pod, writes the proxy id and installs the redirect rules', async () => {
    // The node, the Service; the scheduler's binding and the kubelet's status report (the pod's IPs).
    assert.equal((await apply(nodeObject(ns.hostIp))).code, 0);
    assert.equal((await apply(serviceObject('client', CLUSTER_IP))).code, 0);
    for (const args of scheduleAndReport(POD, ns.nsIp, ns.hostIp)) {
      const r = await k(args);
      assert.equal(r.code, 0, r.stderr);
    }
    const init = kubelet.start(pod, container(pod, 'consul-connect-inject-init', true));
    await waitFor(async () => (/Unable to find registered services; retrying/.test(init.output()) ? true : undefined), 'init polling before the registration', 15_000);
    // kube-controller-manager's Endpoints for the Service: the endpoints controller registers the pod from it.
    assert.equal((await apply(endpointsOf('client', [[POD, ns.nsIp]]))).code, 0);
    const timer = setTimeout(() => init.proc.kill('SIGKILL'), 30_000);
    const code = await init.exited;
    clearTimeout(timer);
    assert.equal(code, 0, init.output());
    assert.match(init.output(), /Registered service has been detected: proxy client-7c9d8f6b5-x2x7k-client-sidecar-proxy/);
    assert.match(init.output(), /Successfully applied traffic redirection rules/);
    assert.equal(readFileSync(join(kubelet.volumePath(pod, 'consul-connect-inject-data'), 'proxyid'), 'utf8'), `${POD}-client-sidecar-proxy`);
    const rules = (await ns.exec(['iptables', '-t', 'nat', '-S'])).stdout;
    assert.match(rules, /-A CONSUL_PROXY_REDIRECT -p tcp -j REDIRECT --to-ports 15001/);
    assert.match(rules, /-A CONSUL_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-ports 20000/);
    assert.match(rules, /-A CONSUL_PROXY_OUTPUT -m owner --uid-owner 5996 -j RETURN/);
    assert.match(rules, /-A CONSUL_PROXY_OUTPUT -m owner --uid-owner 5995 -j RETURN/);
  });

  it('the injected sidecar runs from the stored spec; the app’s upstream port reaches the peer’s backend through both gateways', async () => {
    const sidecar = kubelet.start(pod, container(pod, 'consul-dataplane'));
    await waitFor(async () => (/Sidecar proxy for "client-7c9d8f6b5-x2x7k-client" running/.test(sidecar.output()) ? true : undefined), `sidecar running:\n${sidecar.output()}`, 20_000);
    assert.match(sidecar.output(), /Upstream east\/backend: 127\.0\.0\.1:1234/);
    assert.match(sidecar.output(), /Transparent outbound: 127\.0\.0\.1:15001/);
    // The app container, with the env the kubelet gives it, inside the pod's namespace as an ordinary user.
    const { env } = kubelet.resolve(pod, container(pod, 'client'));
    let last = '';
    const result = await waitFor(async () => {
      const r = await ns.exec(['env', ...Object.entries(env).map(([n, v]) => `${n}=${v}`), process.execPath, '-e', APP], 65534);
      last = `${r.stdout}${r.stderr}`;
      const line = JSON.parse(r.stdout.trim().split('\n').pop() || '{}') as { body?: string; target?: string; error?: string };
      return line.body?.includes('backend in east') ? line : undefined;
    }, 'the peer’s backend through the injected sidecar', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\napp: ${last}\nsidecar:\n${sidecar.output()}\nbackend sidecar:\n${procs[1]?.output().slice(-2000) ?? ''}`);
    });
    assert.equal(result.target, '127.0.0.1:1234');
    assert.match(procs[2]?.output() ?? '', /route=remote/, 'west’s gateway carried the call to east’s');
    assert.match(procs[1]?.output() ?? '', /inbound connection authorized .*source=spiffe:\/\/[^ ]+\/dc\/west\/svc\/client/, 'the backend’s sidecar authorized the pod’s identity');
  });

  it('the endpoints controller registered what the sidecar needed; deleting the pod deregisters it', async () => {
    const [proxy] = await getJson<Obj[]>(west, '/v1/catalog/service/client-sidecar-proxy');
    assert.equal(proxy?.Node, `${NODE}-virtual`);
    assert.equal(proxy?.ServiceID, `${POD}-client-sidecar-proxy`);
    assert.equal(proxy?.ServiceAddress, ns.nsIp);
    assert.deepEqual((proxy?.ServiceProxy as { Upstreams: Obj[] }).Upstreams.map((u) => [u.DestinationPeer, u.DestinationName, u.LocalBindPort]), [['east', 'backend', 1234]]);
    assert.equal((proxy?.ServiceProxy as Obj).Mode, 'transparent');
    // The kubelet stops the containers; kube-controller-manager empties the Endpoints.
    await kubelet.stopAll();
    const del = await k(['delete', 'pod', POD]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await apply(endpointsOf('client', []))).code, 0);
    await waitFor(async () => {
      const r = await getJson<{ Services?: { Meta?: Record<string, string> }[] } | null>(west, `/v1/catalog/node-services/${NODE}-virtual`);
      return (r?.Services ?? []).some((x) => x.Meta?.['pod-name'] === POD) ? undefined : true;
    }, 'the pod’s service and proxy deregistered', 30_000);
    assert.deepEqual(await getJson<unknown[]>(west, '/v1/health/service/client'), []);
    assert.match(controller.output(), /deregistered.*client-7c9d8f6b5-x2x7k-client-sidecar-proxy/);
  });

  it('refuses pods with invalid annotations, with the reason in kubectl’s error', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'consul.hashicorp.com/connect-service-upstreams': 'backend.svc.east:1234' }, /upstream structured incorrectly: backend\.svc\.east:1234/],
      [{ 'consul.hashicorp.com/connect-service-upstreams': 'backend.svc.east.peer:http2' }, /invalid upstream local bind port "http2" in "backend\.svc\.east\.peer:http2"/],
      [{ 'consul.hashicorp.com/transparent-proxy': 'maybe' }, /error determining if transparent proxy is enabled: strconv\.ParseBool: parsing "maybe": invalid syntax/],
      [{ 'consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs': '10.0.0.0/99' }, /invalid CIDR "10\.0\.0\.0\/99" in annotation consul\.hashicorp\.com\/transparent-proxy-exclude-outbound-cidrs/],
      [{ 'consul.hashicorp.com/connect-service-port': 'grpc' }, /invalid port "grpc" in annotation consul\.hashicorp\.com\/connect-service-port/],
    ];
    for (const [i, [ann, re]] of cases.entries()) {
      const name = `bad-${i}-7c9d8f6b5-abcde`;
      const r = await apply(deploymentPod(name, 'bad', { 'consul.hashicorp.com/connect-inject': 'true', ...ann }));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`admission webhook "${WEBHOOK.replace(/\./g, '\\.')}" denied the request: ${re.source}`));
      assert.equal(await storedPod(name), undefined, 'a refused pod is not stored');
    }
  });

  it('leaves alone pods that do not ask, the chart’s own pods (objectSelector), and follows the namespace tproxy label', async () => {
    assert.equal((await apply(deploymentPod('plain-7c9d8f6b5-aaaaa', 'plain', {}))).code, 0);
    assert.deepEqual((await storedPod('plain-7c9d8f6b5-aaaaa'))?.spec.containers.map((c) => c.name), ['plain']);
    // The chart's objectSelector excludes app=isthmus: the API server does not even call the webhook.
    const calls = controller.output().split('pod injected').length;
    assert.equal((await apply(deploymentPod('isthmus-7c9d8f6b5-bbbbb', 'isthmus', { 'consul.hashicorp.com/connect-inject': 'true' }))).code, 0);
    assert.deepEqual((await storedPod('isthmus-7c9d8f6b5-bbbbb'))?.spec.containers.map((c) => c.name), ['isthmus']);
    assert.equal(controller.output().split('pod injected').length, calls);
    // A namespace labelled transparent-proxy=false: injected without the redirect rules.
    assert.equal((await apply('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: direct\n  labels:\n    consul.hashicorp.com/transparent-proxy: "false"\n')).code, 0);
    assert.equal((await apply(deploymentPod('direct-7c9d8f6b5-ccccc', 'direct', { 'consul.hashicorp.com/connect-inject': 'true' }, { namespace: 'direct' }))).code, 0);
    const direct = (await storedPod('direct-7c9d8f6b5-ccccc', 'direct')) as StoredPod;
    assert.deepEqual(direct.spec.containers.map((c) => c.name), ['consul-dataplane', 'direct']);
    assert.equal(direct.metadata.annotations?.['consul.hashicorp.com/transparent-proxy-status'], undefined);
    const init = container(direct, 'consul-connect-inject-init', true);
    assert.equal(init.env?.find((e) => e.name === 'CONSUL_REDIRECT_TRAFFIC_CONFIG'), undefined);
    assert.equal(init.securityContext?.runAsUser, 5996, 'no NET_ADMIN root without transparent proxy');
    // Nothing registers this pod: its init container gives up (bounded here to 2 polls) and fails the pod.
    const r = await kubelet.runToCompletion(direct, { ...init, args: [...(init.args ?? []), '-poll-attempts=2'] }, 20_000);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /timed out waiting for service registration: found 0 of 2 services for pod direct\/direct-7c9d8f6b5-ccccc on node kind-worker-virtual/);
  });
});
