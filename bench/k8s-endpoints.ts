// Benchmark: the endpoints controller's sync of one Endpoints object with N injected pods — a real
// `isthmus k8s controller` process against the API-server double and a real agent — timed from the Endpoints
// write to the catalog showing all 2N instances passing, then from the readiness flip (all addresses not ready)
// to all checks critical. Baseline in the same run: the same 2N registrations (bodies from the controller's own
// plan) sent straight to the agent one after another, i.e. the catalog writes the controller cannot avoid.
import https from 'node:https';
import { ApiServer } from '../test/k8s/apiserver/server.js';
import { apiServerTls } from '../test/k8s/fixtures.js';
import { kubectlFor } from '../test/k8s/kubectl.js';
import { startAgent } from '../test/support/agent-process.js';
import { startCli } from '../test/support/processes.js';
import { planEndpoints } from '../src/k8s/endpoints/plan.js';
import type { EndpointsObj, PodObj } from '../src/k8s/endpoints/types.js';
import { fmt, printTable } from './stats.js';

type Obj = Record<string, unknown>;

const podObj = (i: number, app: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `${app}-${i}`, namespace: 'default', labels: { app, 'consul.hashicorp.com/connect-inject-managed-by': 'consul-k8s-endpoints-controller' }, annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected', 'consul.hashicorp.com/connect-service-port': '8080' } },
  spec: { nodeName: `node-${i % 10}`, containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: `10.244.${Math.floor(i / 250)}.${i % 250}`, hostIP: `172.18.0.${i % 10}` },
});
const endpointsObj = (app: string, n: number, ready: boolean): Obj => {
  const addrs = Array.from({ length: n }, (_, i) => ({ ip: `10.244.${Math.floor(i / 250)}.${i % 250}`, nodeName: `node-${i % 10}`, targetRef: { kind: 'Pod', name: `${app}-${i}`, namespace: 'default' } }));
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: app, namespace: 'default' }, subsets: [{ [ready ? 'addresses' : 'notReadyAddresses']: addrs, ports: [{ port: 8080 }] }] };
};

async function waitUntil(probe: () => Promise<boolean>, what: string, ms = Number(process.env.BENCH_K8S_TIMEOUT_MS ?? 300_000)): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function benchK8sEndpoints(opts: { pods: number }): Promise<Record<string, number>> {
  const n = opts.pods;
  const tls = apiServerTls();
  const api = new ApiServer({ bookmarkIntervalMs: 1000, tls });
  await api.start();
  const k = kubectlFor(api.kubeconfig());
  const agent = await startAgent(['--dev', '--node', 'bench-k8s', '--log-level', 'warn']);
  const controller = await startCli(['k8s', 'controller', '--kubeconfig', k.kubeconfig, '--http-addr', agent.httpAddr, '--enable-peering=false', '--resync-period', '10m', '--log-level', process.env.BENCH_K8S_LOG ?? 'warn'], /Kubernetes controller running/, 60_000);
  const kube = (method: string, path: string, body: unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = https.request(`${api.url}${path}`, { method, ca: tls.ca, headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const agentJson = async (path: string): Promise<Obj[]> => (await (await fetch(`${agent.httpAddr}${path}`)).json()) as Obj[];
  try {
    for (let i = 0; i < n; i++) await kube('POST', '/api/v1/namespaces/default/pods', podObj(i, 'web'));
    await kube('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.50', ports: [{ port: 80, targetPort: 8080 }] } });

    // Through the controller.
    let t = performance.now();
    await kube('POST', '/api/v1/namespaces/default/endpoints', endpointsObj('web', n, true));
    await waitUntil(async () => (await agentJson('/v1/health/service/web?passing')).length === n && (await agentJson('/v1/health/connect/web?passing')).length === n, 'all passing');
    const ctlRegister = performance.now() - t;
    t = performance.now();
    await kube('PUT', '/api/v1/namespaces/default/endpoints/web', endpointsObj('web', n, false));
    await waitUntil(async () => (await agentJson('/v1/health/service/web?passing')).length === 0 && (await agentJson('/v1/health/connect/web?passing')).length === 0, 'all critical');
    const ctlFlip = performance.now() - t;

    // Baseline: the same registrations straight to the agent (service "direct").
    const pods = new Map<string, PodObj>(Array.from({ length: n }, (_, i) => [`direct-${i}`, podObj(i, 'direct') as unknown as PodObj]));
    const plan = (ready: boolean): Obj[] => planEndpoints({ namespace: 'default', name: 'direct', endpoints: endpointsObj('direct', n, ready) as unknown as EndpointsObj, pods, service: undefined, nodes: new Map() }).registrations as unknown as Obj[];
    const send = async (regs: Obj[]): Promise<void> => {
      for (const r of regs) {
        const res = await fetch(`${agent.httpAddr}/v1/catalog/register`, { method: 'PUT', body: JSON.stringify(r) });
        if (!res.ok) throw new Error(`register: ${res.status} ${await res.text()}`);
      }
    };
    t = performance.now();
    await send(plan(true));
    const directRegister = performance.now() - t;
    t = performance.now();
    await send(plan(false));
    const directFlip = performance.now() - t;

    printTable(`k8s endpoints sync: one Endpoints object with ${n} injected pods (${2 * n} instances)`, ['path', 'register all (ms)', 'flip all to critical (ms)', 'ratio vs direct'], [
      ['controller (Endpoints write → catalog)', fmt(ctlRegister, 0), fmt(ctlFlip, 0), `${fmt(ctlRegister / directRegister, 2)} / ${fmt(ctlFlip / directFlip, 2)}`],
      ['baseline: same registrations sent directly', fmt(directRegister, 0), fmt(directFlip, 0), '1.00 / 1.00'],
    ]);
    if (process.env.BENCH_K8S_LOG) console.error(controller.output().split('\n').filter((l) => l.includes('reconciled')).join('\n'));
    return { k8s_endpoints_register_ms: ctlRegister, k8s_endpoints_flip_ms: ctlFlip, k8s_endpoints_direct_register_ms: directRegister, k8s_endpoints_direct_flip_ms: directFlip };
  } catch (err) {
    console.error(`controller output (tail):\n${controller.output().slice(-4000)}`);
    throw err;
  } finally {
    await controller.stop();
    await agent.stop();
    await api.stop();
    k.cleanup();
  }
}
