// Endpoints sync with ACLs (default deny): the controller runs with a token, pods log in through a real
// `kubernetes` auth method (the API-server double answers TokenReview), and when a pod goes the controller
// deregisters it and deletes that pod's login token — not the tokens of pods that are still there.
// Simulated as in k8s-endpoints.test.ts: the test writes the pods' IPs and the Endpoints (no kubelet, no
// kube-controller-manager here).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls } from '../k8s/fixtures.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { startCli, type CliProcess } from '../support/processes.js';

type Obj = Record<string, unknown>;
const MGMT = 'b1b2c3d4-0000-4000-8000-00000000e9d1';
const METHOD = 'r-isthmus-k8s-auth-method';
const dir = tempDir('k8s-endpoints-acl');
let api: ApiServer;
let k: Kubectl;
let agent: AgentProcess;
let controller: CliProcess | undefined;

async function call(method: string, path: string, body?: unknown, token = MGMT): Promise<{ status: number; body: Obj & Obj[]; text: string }> {
  const r = await fetch(`${agent.httpAddr}${path}`, { method, headers: { 'X-Consul-Token': token }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed as Obj & Obj[], text };
}
async function apply(...docs: Obj[]): Promise<void> {
  const r = await k(['apply', '-f', '-'], docs.map((d) => yaml.dump(d)).join('---\n'));
  assert.equal(r.code, 0, r.stderr);
}
const until = (probe: () => Promise<boolean>, what: string, ms = 60_000): Promise<true> => waitFor(async () => ((await probe()) ? true : undefined), what, ms);

const pod = (name: string, ip: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'web', 'consul.hashicorp.com/connect-inject-managed-by': 'consul-k8s-endpoints-controller' }, annotations: { 'consul.hashicorp.com/connect-inject-status': 'injected', 'consul.hashicorp.com/connect-service-port': '8080' } },
  spec: { nodeName: 'kind-worker', serviceAccountName: 'web', containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip, hostIP: '172.18.0.2' },
});
const endpoints = (pods: [string, string][]): Obj => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'web', namespace: 'default' },
  subsets: pods.length ? [{ addresses: pods.map(([p, ip]) => ({ ip, nodeName: 'kind-worker', targetRef: { kind: 'Pod', name: p, namespace: 'default' } })), ports: [{ port: 8080 }] }] : [],
});

describe('Kubernetes endpoints sync with ACLs: login tokens of deleted pods are deleted', { timeout: 240_000 }, () => {
  before(async () => {
    const tls = apiServerTls();
    api = new ApiServer({ bookmarkIntervalMs: 1000, tls });
    await api.start();
    k = kubectlFor(api.kubeconfig());
    const cfg = join(dir.path, 'acl.json');
    writeFileSync(cfg, JSON.stringify({ acl: { enabled: true, default_policy: 'deny', tokens: { initial_management: MGMT } } }));
    agent = await startAgent(['--dev', '--node', 'server-1', '--datacenter', 'dc1', '--config-file', cfg]);
    await apply(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'default' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'auth-method', namespace: 'default' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.40', ports: [{ port: 80, targetPort: 8080 }] } },
    );
    const am = await call('PUT', '/v1/acl/auth-method', { Name: METHOD, Type: 'kubernetes', Config: { Host: api.url, CACert: tls.ca, ServiceAccountJWT: api.tokens.mint('default', 'auth-method').token } });
    assert.equal(am.status, 200, am.text);
    const br = await call('PUT', '/v1/acl/binding-rule', { AuthMethod: METHOD, BindType: 'service', BindName: '${serviceaccount.name}' });
    assert.equal(br.status, 200, br.text);
    controller = await startCli(['k8s', 'controller', '--kubeconfig', k.kubeconfig, '--http-addr', agent.httpAddr, '--token', MGMT, '--enable-peering=false', '--acl-auth-method', METHOD, '--resync-period', '2s', '--log-level', 'debug'], /Kubernetes controller running/, 60_000);
  });
  after(async () => {
    await controller?.stop();
    await agent?.stop();
    await api?.stop();
    k?.cleanup();
    dir.remove();
  });

  it('registers under default deny, then deletes only the gone pod’s login token', async () => {
    await apply(pod('web-1', '10.244.1.1'), pod('web-2', '10.244.1.2'), endpoints([['web-1', '10.244.1.1'], ['web-2', '10.244.1.2']]));
    await until(async () => (await call('GET', '/v1/catalog/service/web')).body?.length === 2, 'both pods registered');

    // The sidecars log in with the pod's service-account token, as connect-init does.
    const login = async (p: string): Promise<string> => {
      const r = await call('POST', '/v1/acl/login', { AuthMethod: METHOD, BearerToken: api.tokens.mint('default', 'web').token, Meta: { pod: `default/${p}` } }, '');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual((r.body.ServiceIdentities as Obj[]).map((s) => s.ServiceName), ['web']);
      return r.body.AccessorID as string;
    };
    const gone = await login('web-1');
    const stays = await login('web-2');

    const del = await k(['delete', 'pod', 'web-1']);
    assert.equal(del.code, 0, del.stderr);
    await apply(endpoints([['web-2', '10.244.1.2']]));
    await until(async () => (await call('GET', '/v1/catalog/service/web')).body?.length === 1, 'web-1 deregistered');
    await until(async () => (await call('GET', `/v1/acl/token/${gone}`)).status !== 200, 'the login token of web-1 deleted');
    assert.equal((await call('GET', `/v1/acl/token/${stays}`)).status, 200, 'web-2 keeps its token');
    assert.equal((await call('GET', '/v1/catalog/service/web')).body[0]?.ServiceID, 'web-2-web');
    const out = controller?.output() ?? '';
    assert.match(out, /login token of a deleted pod deleted/);
    assert.ok(!out.includes(MGMT), 'the controller never logs its token');
  });
});
