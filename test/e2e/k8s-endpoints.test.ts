// Endpoints sync end to end: the API-server double + a real `isthmus agent` + a real `isthmus k8s controller`
// process, driven with the real kubectl. Simulated: there is no kube-controller-manager or kubelet here, so the
// test plays them — it writes the Pods' status (IPs) and the Endpoints objects (ready / not-ready addresses)
// that they would write. Real: kubectl, the controller process, its watches, the agent and its HTTP API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls } from '../k8s/fixtures.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { startCli, type CliProcess } from '../support/processes.js';

type Obj = Record<string, unknown>;
const dir = tempDir('k8s-endpoints');
let api: ApiServer;
let k: Kubectl;
let agent: AgentProcess;
let controller: CliProcess | undefined;
const logs: string[] = [];

async function startController(): Promise<void> {
  controller = await startCli(['k8s', 'controller', '--kubeconfig', k.kubeconfig, '--http-addr', agent.httpAddr, '--enable-peering=false', '--resync-period', '2s', '--log-level', 'debug'], /Kubernetes controller running/, 60_000);
}
async function stopController(): Promise<void> {
  if (!controller) return;
  await controller.stop();
  logs.push(controller.output());
  controller = undefined;
}
const allLogs = (): string => [...logs, controller?.output() ?? ''].join('\n');

async function get<T = Obj[]>(path: string): Promise<{ status: number; body: T }> {
  const r = await fetch(`${agent.httpAddr}${path}`);
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
}
const until = <T>(probe: () => Promise<T | undefined | false>, what: string, ms = 60_000): Promise<T> =>
  waitFor(async () => {
    const v = await probe();
    return v === false ? undefined : v;
  }, what, ms);
async function apply(...docs: Obj[]): Promise<void> {
  const r = await k(['apply', '-f', '-'], docs.map((d) => yaml.dump(d)).join('---\n'));
  assert.equal(r.code, 0, r.stderr);
}
async function kubectl(...args: string[]): Promise<void> {
  const r = await k(args);
  assert.equal(r.code, 0, r.stderr);
}

const MANAGED = { 'consul.hashicorp.com/connect-inject-managed-by': 'consul-k8s-endpoints-controller', 'consul.hashicorp.com/connect-inject-status': 'injected' };
const node = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'topology.kubernetes.io/region': 'us-east-1', 'topology.kubernetes.io/zone': 'us-east-1a' } }, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] } });
const service = (name: string, extra: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.12', selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, ...extra });
/** An injected pod as the webhook leaves it, with the status the kubelet would write. */
const pod = (name: string, app: string, podIP: string, annotations: Record<string, string> = {}, labels: Record<string, string> = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    labels: { app, 'consul.hashicorp.com/connect-inject-managed-by': MANAGED['consul.hashicorp.com/connect-inject-managed-by'], 'consul.hashicorp.com/connect-inject-status': 'injected', ...labels },
    annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected', 'consul.hashicorp.com/connect-service-port': 'http', ...annotations },
  },
  spec: { nodeName: 'kind-worker', containers: [{ name: 'app', image: 'app:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP, hostIP: '172.18.0.2' },
});
/** The Endpoints kube-controller-manager would write for these pods. */
const endpoints = (name: string, ready: [string, string][], notReady: [string, string][] = [], port = 8080): Obj => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name, namespace: 'default' },
  subsets:
    ready.length + notReady.length === 0
      ? []
      : [
          {
            ...(ready.length ? { addresses: ready.map(([p, ip]) => ({ ip, nodeName: 'kind-worker', targetRef: { kind: 'Pod', name: p, namespace: 'default' } })) } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady.map(([p, ip]) => ({ ip, nodeName: 'kind-worker', targetRef: { kind: 'Pod', name: p, namespace: 'default' } })) } : {}),
            ports: [{ name: 'http', port, protocol: 'TCP' }],
          },
        ],
});

describe('Kubernetes endpoints sync end to end (API-server double, real agent, real controller)', { timeout: 300_000 }, () => {
  before(async () => {
    api = new ApiServer({ bookmarkIntervalMs: 1000, tls: apiServerTls() });
    await api.start();
    k = kubectlFor(api.kubeconfig());
    agent = await startAgent(['--data-dir', dir.path, '--node', 'server-1', '--datacenter', 'dc1']);
    await apply(node('kind-worker'));
    await startController();
  });
  after(async () => {
    await controller?.stop();
    await agent?.stop();
    await api?.stop();
    k?.cleanup();
    dir.remove();
  });

  it('Service + injected Pod + Endpoints → service, sidecar proxy and passing readiness checks in the catalog', async () => {
    await apply(
      service('web'),
      pod('web-7d4', 'web', '10.244.0.7', { 'consul.hashicorp.com/transparent-proxy-status': 'enabled', 'consul.hashicorp.com/connect-service-upstreams': 'api.svc.cluster-02.peer:9091' }),
      endpoints('web', [['web-7d4', '10.244.0.7']]),
    );
    const [svc] = await until(async () => ((await get('/v1/catalog/service/web')).body.length === 1 ? (await get('/v1/catalog/service/web')).body : false), 'web registered');
    assert.equal(svc?.Node, 'kind-worker-virtual');
    assert.equal(svc?.Address, '172.18.0.2', 'the synthetic node has the host IP');
    assert.deepEqual(svc?.NodeMeta, { 'synthetic-node': 'true' });
    assert.equal(svc?.ServiceID, 'web-7d4-web');
    assert.equal(svc?.ServiceAddress, '10.244.0.7');
    assert.equal(svc?.ServicePort, 8080, 'the named port resolved to the container port');
    assert.deepEqual(svc?.ServiceMeta, { 'pod-name': 'web-7d4', 'k8s-service-name': 'web', 'k8s-namespace': 'default', 'managed-by': 'consul-k8s-endpoints-controller', 'pod-uid': api.get('', 'pods', 'default', 'web-7d4')?.metadata.uid, 'synthetic-node': 'true' });
    assert.deepEqual((svc?.ServiceTaggedAddresses as Obj).virtual, { Address: '10.96.0.12', Port: 80 });
    assert.deepEqual(svc?.ServiceLocality, { Region: 'us-east-1', Zone: 'us-east-1a' });

    const [proxy] = (await until(async () => ((await get('/v1/catalog/service/web-sidecar-proxy')).body.length === 1 ? (await get('/v1/catalog/service/web-sidecar-proxy')).body : false), 'sidecar registered')) as Obj[];
    assert.equal(proxy?.ServiceKind, 'connect-proxy');
    assert.equal(proxy?.ServiceID, 'web-7d4-web-sidecar-proxy');
    assert.equal(proxy?.ServicePort, 20000);
    const p = proxy?.ServiceProxy as Obj;
    assert.equal(p.DestinationServiceName, 'web');
    assert.equal(p.DestinationServiceID, 'web-7d4-web');
    assert.equal(p.LocalServiceAddress, '127.0.0.1');
    assert.equal(p.LocalServicePort, 8080);
    assert.equal(p.Mode, 'transparent');
    const [up] = p.Upstreams as Obj[];
    assert.equal(up?.DestinationName, 'api');
    assert.equal(up?.DestinationPeer, 'cluster-02');
    assert.equal(up?.LocalBindPort, 9091);

    const health = await until(async () => {
      const h = (await get<{ Checks: Obj[] }[]>('/v1/health/service/web?passing')).body;
      return h.length === 1 ? h : false;
    }, 'web passing');
    const check = health[0]?.Checks.find((c) => c.CheckID === 'default/web-7d4-web');
    assert.equal(check?.Name, 'Kubernetes Readiness Check');
    assert.equal(check?.Type, 'kubernetes-readiness');
    assert.equal(check?.Status, 'passing');
    assert.equal(check?.Output, 'Kubernetes health checks passing');
    assert.equal((await get('/v1/health/connect/web?passing')).body.length, 1, 'the sidecar is passing too');

    const vips = await until(async () => {
      const all = (await get<{ Service: string; ManualVIPs: string[] }[]>('/v1/internal/virtual-ips')).body;
      const web = all.find((v) => v.Service === 'web');
      return web?.ManualVIPs?.includes('10.96.0.12') ? web : false;
    }, 'manual VIP = ClusterIP');
    assert.deepEqual(vips.ManualVIPs, ['10.96.0.12']);
  });

  it('an address moved to NotReadyAddresses → checks critical with the spec text; back → passing', async () => {
    await apply(endpoints('web', [], [['web-7d4', '10.244.0.7']]));
    const check = await until(async () => {
      const c = (await get('/v1/health/checks/web')).body.find((x) => x.CheckID === 'default/web-7d4-web');
      return c?.Status === 'critical' ? c : false;
    }, 'web critical');
    assert.equal(check.Output, 'Pod "default/web-7d4" is not ready');
    assert.deepEqual((await get('/v1/health/service/web?passing')).body, [], 'no passing instance');
    const proxyCheck = (await get('/v1/health/checks/web-sidecar-proxy')).body.find((x) => x.CheckID === 'default/web-7d4-web-sidecar-proxy');
    assert.equal(proxyCheck?.Status, 'critical');
    await apply(endpoints('web', [['web-7d4', '10.244.0.7']]));
    await until(async () => (await get('/v1/health/service/web?passing')).body.length === 1, 'web passing again');
    assert.equal((await get('/v1/catalog/service/web')).body.length, 1, 'status changes never duplicate the instance');
  });

  it('pods that are not injected are left alone', async () => {
    const plain = pod('plain-1', 'plain', '10.244.0.9');
    (plain.metadata as { labels: Obj; annotations: Obj }).labels = { app: 'plain' };
    (plain.metadata as { labels: Obj; annotations: Obj }).annotations = {};
    await apply(service('plain', { spec: { clusterIP: '10.96.0.13', ports: [{ port: 80, targetPort: 8080 }] } }), plain, endpoints('plain', [['plain-1', '10.244.0.9']]));
    // A managed pod applied after it is registered: the plain one had its chance first.
    await apply(service('second'), pod('second-1', 'second', '10.244.0.10'), endpoints('second', [['second-1', '10.244.0.10']]));
    await until(async () => (await get('/v1/catalog/service/second')).body.length === 1, 'second registered');
    assert.deepEqual((await get('/v1/catalog/service/plain')).body, []);
  });

  it('an address whose pod has no IPs yet is registered once the kubelet writes them', async () => {
    const late = pod('late-1', 'late', '10.244.0.12');
    late.status = { phase: 'Pending' };
    await apply(service('late', { spec: { clusterIP: '10.96.0.14', ports: [{ port: 80, targetPort: 8080 }] } }), late, endpoints('late', [], [['late-1', '10.244.0.12']]));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual((await get('/v1/catalog/service/late')).body, [], 'nothing registered without a pod IP and host IP');
    await kubectl('patch', 'pod', 'late-1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', podIP: '10.244.0.12', hostIP: '172.18.0.2' } }));
    const [svc] = await until(async () => {
      const b = (await get('/v1/catalog/service/late')).body;
      return b.length === 1 ? b : false;
    }, 'late registered');
    assert.equal(svc?.ServiceAddress, '10.244.0.12');
    await kubectl('delete', 'endpoints', 'late');
    await until(async () => (await get('/v1/catalog/service/late')).body.length === 0, 'late deregistered');
  });

  it('pod deletion (its address removed) deregisters the service, the sidecar and their checks', async () => {
    await kubectl('delete', 'pod', 'web-7d4');
    await apply(endpoints('web', []));
    await until(async () => (await get('/v1/catalog/service/web')).body.length === 0 && (await get('/v1/catalog/service/web-sidecar-proxy')).body.length === 0, 'web deregistered');
    assert.deepEqual((await get('/v1/health/checks/web')).body, []);
    const nodeServices = (await get<{ Services: Obj[] }>('/v1/catalog/node-services/kind-worker-virtual')).body;
    assert.deepEqual(
      nodeServices.Services.map((s) => s.ID),
      ['second-1-second', 'second-1-second-sidecar-proxy'],
      'other services on the node stay',
    );
  });

  it('a controller restart converges: what changed while it was down is applied, stale instances go, nothing is duplicated', async () => {
    await stopController();
    await kubectl('delete', 'endpoints', 'second');
    await kubectl('delete', 'pod', 'second-1');
    await apply(service('api'), pod('api-1', 'api', '10.244.0.11'), endpoints('api', [['api-1', '10.244.0.11']]));
    assert.equal((await get('/v1/catalog/service/second')).body.length, 1, 'still registered while the controller is down');
    await startController();
    await until(async () => (await get('/v1/catalog/service/second')).body.length === 0 && (await get('/v1/catalog/service/api')).body.length === 1, 'converged');
    await new Promise((r) => setTimeout(r, 3000)); // a resync period later: still exactly one of each
    assert.equal((await get('/v1/catalog/service/api')).body.length, 1);
    assert.equal((await get('/v1/catalog/service/api-sidecar-proxy')).body.length, 1);
    assert.deepEqual((await get('/v1/catalog/service/second-sidecar-proxy')).body, []);
  });

  it('deleting the Endpoints object deregisters everything registered for it', async () => {
    await kubectl('delete', 'endpoints', 'api');
    await until(async () => (await get('/v1/catalog/service/api')).body.length === 0 && (await get('/v1/catalog/service/api-sidecar-proxy')).body.length === 0, 'api deregistered');
    // Its last instance gone, the synthetic node goes too (the next registration there creates it again).
    await until(async () => (await get<unknown>('/v1/catalog/node/kind-worker-virtual')).body === null, 'empty synthetic node removed');
  });

  it('mesh-gateway pod behind a LoadBalancer: without ingress an error and retries; with ingress one registration with the WAN address', async () => {
    const gwService = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'r-isthmus-mesh-gateway', namespace: 'default' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.7.7', selector: { component: 'mesh-gateway' }, ports: [{ name: 'gateway', port: 443, targetPort: 8443 }] } };
    const gwPod = pod(
      'mesh-gateway-5f9',
      'mesh-gateway',
      '10.244.0.20',
      {
        'consul.hashicorp.com/connect-inject': 'false',
        'consul.hashicorp.com/mesh-inject': 'false',
        'consul.hashicorp.com/gateway-kind': 'mesh-gateway',
        'consul.hashicorp.com/gateway-consul-service-name': 'mesh-gateway',
        'consul.hashicorp.com/mesh-gateway-container-port': '8443',
        'consul.hashicorp.com/gateway-wan-address-source': 'Service',
        'consul.hashicorp.com/gateway-wan-port': '443',
      },
      { component: 'mesh-gateway' },
    );
    await apply(gwService, gwPod, endpoints('r-isthmus-mesh-gateway', [['mesh-gateway-5f9', '10.244.0.20']], [], 8443));
    const text = 'failed to read ingress config for loadbalancer for service r-isthmus-mesh-gateway in namespace default';
    await until(async () => allLogs().includes(text), 'the LoadBalancer error in the controller log');
    assert.deepEqual((await get('/v1/catalog/service/mesh-gateway')).body, [], 'nothing registered without a WAN address');
    await kubectl('patch', 'service', 'r-isthmus-mesh-gateway', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } }));
    const [gw] = await until(async () => {
      const b = (await get('/v1/catalog/service/mesh-gateway')).body;
      return b.length === 1 ? b : false;
    }, 'gateway registered after a retry');
    assert.equal(gw?.ServiceKind, 'mesh-gateway');
    assert.equal(gw?.ServiceID, 'mesh-gateway-5f9');
    assert.equal(gw?.ServicePort, 8443);
    assert.equal(gw?.ServiceAddress, '10.244.0.20');
    const tagged = gw?.ServiceTaggedAddresses as Obj;
    assert.deepEqual(tagged.lan, { Address: '10.244.0.20', Port: 8443 });
    assert.deepEqual(tagged.wan, { Address: '203.0.113.9', Port: 443 });
    const check = (await get('/v1/health/checks/mesh-gateway')).body.find((c) => c.CheckID === 'default/mesh-gateway-5f9');
    assert.equal(check?.Status, 'passing');
    assert.equal(check?.Output, 'Kubernetes health checks passing');
  });

  it('logs carry no secrets and say what happened', () => {
    const out = allLogs();
    assert.match(out, /registered.*web-7d4-web/);
    assert.match(out, /deregistered.*web-7d4-web/);
    assert.doesNotMatch(out, /BEGIN (RSA |EC )?PRIVATE KEY/);
  });
});
