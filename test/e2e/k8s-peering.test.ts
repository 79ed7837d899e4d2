// Kubernetes end to end: two simulated clusters, each an API-server double + a real `isthmus agent` + a real
// `isthmus k8s controller` process (webhooks served with the chart's own certificate). Driven with the real
// kubectl: acceptor → copy the Secret → dialer → both ACTIVE; ExportedServices → imported; intentions with a
// peer source; webhook denials; a controller restart mid-way; deletes (one while the server is down).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { ApiServer } from '../k8s/apiserver/server.js';
import { apiServerTls, rendered } from '../k8s/fixtures.js';
import { kubectlFor, type Kubectl } from '../k8s/kubectl.js';
import { startAgent, tempDir, waitFor, type AgentProcess } from '../support/agent-process.js';
import { freePort, startCli, type CliProcess } from '../support/processes.js';

type Obj = Record<string, unknown>;
const dir = tempDir('k8s');
const fast = join(dir.path, 'fast.json');
writeFileSync(fast, JSON.stringify({ peering: { heartbeat_interval: '500ms', heartbeat_timeout: '3s' } }));
const certFile = join(dir.path, 'tls.crt');
const keyFile = join(dir.path, 'tls.key');

interface Cluster {
  name: string;
  dc: string;
  api: ApiServer;
  k: Kubectl;
  agent: AgentProcess;
  httpPort: number;
  grpcPort: string;
  controller?: CliProcess;
  webhookPort: number;
}

async function startServer(c: Cluster): Promise<void> {
  c.agent = await startAgent(['--data-dir', join(dir.path, c.name), '--node', `${c.name}1`, '--datacenter', c.dc, '--config-file', fast, '--http-port', String(c.httpPort), '--grpc-tls-port', c.grpcPort]);
  c.grpcPort = c.agent.grpcAddr.split(':')[1] as string;
}

async function startController(c: Cluster): Promise<void> {
  c.controller = await startCli(
    ['k8s', 'controller', '--kubeconfig', c.k.kubeconfig, '--http-addr', `127.0.0.1:${c.httpPort}`, '--webhook-addr', '127.0.0.1:0', '--webhook-tls-cert-file', certFile, '--webhook-tls-key-file', keyFile, '--resync-period', '2s', '--log-level', 'debug'],
    /Kubernetes controller running/,
  );
  c.webhookPort = Number(/Admission webhooks: https:\/\/127\.0\.0\.1:(\d+)/.exec(c.controller.output())?.[1]);
}

async function cluster(name: string, dc: string): Promise<Cluster> {
  const c = { name, dc, httpPort: await freePort(), grpcPort: '0', webhookPort: 0 } as Cluster;
  // The chart's webhook Service (r-isthmus-connect-injector.consul) is this cluster's controller.
  c.api = new ApiServer({ bookmarkIntervalMs: 1000, tls: apiServerTls(), resolveService: (svc, ns) => (svc === 'r-isthmus-connect-injector' && ns === 'consul' ? `127.0.0.1:${c.webhookPort}` : undefined) });
  await c.api.start();
  c.k = kubectlFor(c.api.kubeconfig());
  await startServer(c);
  const { crds, webhookConfig } = rendered();
  for (const doc of [crds, yaml.dump(webhookConfig)]) {
    const r = await c.k(['apply', '-f', '-'], doc);
    assert.equal(r.code, 0, r.stderr);
  }
  await startController(c);
  return c;
}

async function http(c: Cluster, method: string, path: string, body?: unknown): Promise<{ status: number; json: () => Obj }> {
  const r = await fetch(`http://127.0.0.1:${c.httpPort}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, json: () => JSON.parse(text) as Obj };
}
const peeringState = async (c: Cluster, name: string): Promise<string | undefined> => {
  const r = await http(c, 'GET', `/v1/peering/${name}`).catch(() => undefined);
  return r?.status === 200 ? (r.json().State as string) : undefined;
};
const jsonpath = async (c: Cluster, args: string[], path: string): Promise<string> => (await c.k(['get', ...args, '-o', `jsonpath=${path}`])).stdout;
const until = (probe: () => Promise<boolean>, what: string, ms = 30_000): Promise<true> => waitFor(async () => ((await probe()) ? true : undefined), what, ms);
const apply = async (c: Cluster, doc: string): Promise<void> => {
  const r = await c.k(['apply', '-f', '-'], doc);
  assert.equal(r.code, 0, r.stderr);
};
const peerCr = (kind: string, name: string, extra = ''): string =>
  `apiVersion: consul.hashicorp.com/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${extra}spec:\n  peer:\n    secret:\n      name: peering-token\n      key: data\n      backend: kubernetes\n`;

/**
 * `kubectl get secret peering-token -o yaml` in A, `kubectl apply` of that in B (the documented procedure).
 * A copy over an existing Secret drops A's resourceVersion/uid first: B's API server would refuse A's
 * resourceVersion as a conflict (as a real one does).
 */
async function copyToken(from: Cluster, to: Cluster): Promise<void> {
  const got = await from.k(['get', 'secret', 'peering-token', '--output', 'yaml']);
  assert.equal(got.code, 0, got.stderr);
  const doc = yaml.load(got.stdout) as { metadata: Record<string, unknown> };
  if (to.api.get('', 'secrets', 'default', 'peering-token')) {
    for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'generation']) delete doc.metadata[k];
  }
  await apply(to, yaml.dump(doc));
}

describe('Kubernetes controller end to end (two simulated clusters)', { timeout: 240_000 }, () => {
  let A: Cluster;
  let B: Cluster;

  before(async () => {
    writeFileSync(certFile, rendered().cert);
    writeFileSync(keyFile, rendered().key);
    [A, B] = await Promise.all([cluster('a', 'east'), cluster('b', 'west')]);
  });
  after(async () => {
    for (const c of [A, B]) {
      if (!c) continue;
      await c.controller?.stop();
      await c.agent?.stop();
      await c.api.stop();
      c.k.cleanup();
    }
    dir.remove();
  });

  it('PeeringAcceptor in A → Secret copied → PeeringDialer in B → both peerings ACTIVE', async () => {
    await apply(A, peerCr('PeeringAcceptor', 'west'));
    await until(async () => (await jsonpath(A, ['peeringacceptor', 'west'], '{.status.conditions[0].status}')) === 'True', 'acceptor synced');
    const secret = yaml.load((await A.k(['get', 'secret', 'peering-token', '-o', 'yaml'])).stdout) as { metadata: { labels: Obj }; data: Record<string, string> };
    assert.equal(secret.metadata.labels['consul.hashicorp.com/peering-token'], 'true');
    const token = JSON.parse(Buffer.from(Buffer.from(secret.data.data as string, 'base64').toString('utf8'), 'base64').toString('utf8')) as Obj;
    assert.equal((token.Remote as Obj).Datacenter, 'east', 'the Secret holds a real token from server A');
    assert.equal(await jsonpath(A, ['peeringacceptor', 'west'], '{.status.secret.name}/{.status.secret.key}/{.status.secret.backend}'), 'peering-token/data/kubernetes');
    assert.equal(await jsonpath(A, ['peeringacceptor', 'west'], '{.metadata.finalizers[0]}'), 'finalizers.consul.hashicorp.com');

    await copyToken(A, B);
    await apply(B, peerCr('PeeringDialer', 'east'));
    await until(async () => (await peeringState(A, 'west')) === 'ACTIVE' && (await peeringState(B, 'east')) === 'ACTIVE', 'both ACTIVE');
    await until(async () => (await jsonpath(B, ['peeringdialer', 'east'], '{.status.conditions[0].status}')) === 'True', 'dialer synced');
    const secretRv = await jsonpath(B, ['secret', 'peering-token'], '{.metadata.resourceVersion}');
    assert.equal(await jsonpath(B, ['peeringdialer', 'east'], '{.status.secret.resourceVersion}'), secretRv);
    const table = await B.k(['get', 'peering-dialer']);
    assert.match(table.stdout, /^NAME\s+SYNCED\s+LAST SYNCED\s+AGE\neast\s+True\s+\d+s\s+\d+s\n/);
    const events = await A.k(['get', 'events', '--field-selector', 'involvedObject.name=west', '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}']);
    assert.match(events.stdout, /Normal PeeringTokenGenerated: generated a peering token for peer "west" into secret "peering-token" \(no peering on the server\)/);
    assert.match(A.controller?.output() ?? '', /peering token generated.*peer=west/);
    assert.doesNotMatch(A.controller?.output() ?? '', new RegExp(secret.data.data as string), 'the token never reaches the log');
  });

  it('the webhooks refuse invalid resources with consul-k8s messages', async () => {
    const dupe = await A.k(['apply', '-f', '-'], peerCr('PeeringAcceptor', 'other'));
    assert.match(dupe.stderr, /admission webhook "r-isthmus-mutate-peeringacceptors\.consul\.hashicorp\.com" denied the request: an existing PeeringAcceptor resource has the same secret name `name: peering-token, namespace: default`/);
    const vault = await A.k(['apply', '-f', '-'], peerCr('PeeringAcceptor', 'v').replace('backend: kubernetes', 'backend: vault').replace('peering-token', 'tok2'));
    assert.match(vault.stderr, /peeringacceptors\.consul\.hashicorp\.com "v" is invalid: spec\.peer\.secret\.backend: Invalid value: "vault": backend must be "kubernetes"/);
    const none = await B.k(['apply', '-f', '-'], 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: ServiceDefaults\nmetadata:\n  name: frontend\nspec:\n  upstreamConfig:\n    overrides:\n      - name: backend\n        peer: east\n        meshGateway:\n          mode: none\n');
    assert.match(none.stderr, /denied the request: servicedefaults\.consul\.hashicorp\.com "frontend" is invalid: spec\.upstreamConfig\.overrides\[0\]\.meshGateway\.mode: Invalid value: "none": mesh gateway mode "none" is not supported for a peer upstream/);
    const wild = await A.k(['apply', '-f', '-'], 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: ExportedServices\nmetadata:\n  name: default\nspec:\n  services:\n    - name: backend\n      consumers:\n        - peer: "*"\n');
    assert.match(wild.stderr, /exporting to all peers \(wildcard\) is not supported/);
    assert.match(A.controller?.output() ?? '', /admission denied/);
  });

  it('ExportedServices in A → the service is imported in B; ServiceIntentions with a peer source', async () => {
    assert.equal((await http(A, 'PUT', '/v1/agent/service/register', { Name: 'backend', Port: 9090 })).status, 200);
    await apply(A, 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: ExportedServices\nmetadata:\n  name: default\nspec:\n  services:\n    - name: backend\n      consumers:\n        - peer: west\n');
    await until(async () => ((await http(B, 'GET', '/v1/health/service/backend?peer=east')).json() as unknown as unknown[]).length === 1, 'backend imported in B');
    const entry = (await http(A, 'GET', '/v1/config/exported-services/default')).json();
    assert.deepEqual(entry.Meta, { 'external-source': 'kubernetes', 'consul.hashicorp.com/source-datacenter': 'east' });
    const second = await A.k(['apply', '-n', 'kube-system', '-f', '-'], 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: ExportedServices\nmetadata:\n  name: default\nspec:\n  services:\n    - name: other\n      consumers:\n        - peer: west\n');
    assert.match(second.stderr, /exportedservices resource already defined - only one exportedservices entry is supported per Kubernetes cluster/);

    await apply(A, 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: ServiceIntentions\nmetadata:\n  name: backend\nspec:\n  destination:\n    name: backend\n  sources:\n    - name: frontend\n      peer: west\n      action: allow\n');
    await until(async () => (await jsonpath(A, ['serviceintentions', 'backend'], '{.status.conditions[0].status}')) === 'True', 'intentions synced');
    const ixn = (await http(A, 'GET', '/v1/config/service-intentions/backend')).json() as { Sources: Obj[] };
    assert.equal(ixn.Sources[0]?.Peer, 'west');
    assert.equal(ixn.Sources[0]?.Action, 'allow');
    const modify = (await http(A, 'GET', '/v1/config/service-intentions/backend')).json().ModifyIndex;
    await new Promise((r) => setTimeout(r, 4500));
    assert.equal((await http(A, 'GET', '/v1/config/service-intentions/backend')).json().ModifyIndex, modify, 'resyncs do not rewrite an entry that already matches');
  });

  it('an entry written outside Kubernetes is not overwritten: Synced=False ExternallyManagedConfigError', async () => {
    assert.equal((await http(A, 'PUT', '/v1/config', { Kind: 'service-defaults', Name: 'legacy', Protocol: 'tcp' })).status, 200);
    await apply(A, 'apiVersion: consul.hashicorp.com/v1alpha1\nkind: ServiceDefaults\nmetadata:\n  name: legacy\nspec:\n  protocol: http\n');
    await until(async () => (await jsonpath(A, ['servicedefaults', 'legacy'], '{.status.conditions[0].reason}')) === 'ExternallyManagedConfigError', 'refused');
    assert.equal(await jsonpath(A, ['servicedefaults', 'legacy'], '{.status.conditions[0].status}: {.status.conditions[0].message}'), 'False: config entry already exists in Consul');
    assert.equal((await http(A, 'GET', '/v1/config/service-defaults/legacy')).json().Protocol, 'tcp');
    await A.k(['delete', 'servicedefaults', 'legacy']);
    assert.equal((await http(A, 'GET', '/v1/config/service-defaults/legacy')).status, 200, 'deleting the CR leaves the foreign entry alone');
  });

  it('controllers restarted mid-way converge: a new token copied while the dialer\'s controller is down is used after restart; a restart alone regenerates nothing', async () => {
    await B.controller?.stop();
    const oldData = await jsonpath(A, ['secret', 'peering-token'], '{.data.data}');
    const ann = await A.k(['annotate', 'peeringacceptor', 'west', 'consul.hashicorp.com/peering-version=1']);
    assert.equal(ann.code, 0, ann.stderr);
    await until(async () => (await jsonpath(A, ['peeringacceptor', 'west'], '{.status.latestPeeringVersion}')) === '1', 'version recorded');
    assert.notEqual(await jsonpath(A, ['secret', 'peering-token'], '{.data.data}'), oldData, 'a new token');
    await copyToken(A, B);
    const rv = await jsonpath(B, ['secret', 'peering-token'], '{.metadata.resourceVersion}');
    await startController(B);
    await until(async () => (await jsonpath(B, ['peeringdialer', 'east'], '{.status.secret.resourceVersion}')) === rv, 'dialer used the new secret');
    await until(async () => (await peeringState(A, 'west')) === 'ACTIVE' && (await peeringState(B, 'east')) === 'ACTIVE', 'both ACTIVE again');
    assert.match(B.controller?.output() ?? '', /peering established.*why=token secret changed/);
    // Kill -9 the acceptor's controller and start it again: nothing changed, so nothing is regenerated.
    await A.controller?.proc.kill('SIGKILL');
    await startController(A);
    await until(async () => /controller started/.test(A.controller?.output() ?? ''), 'restarted');
    await new Promise((r) => setTimeout(r, 4500));
    const generated = (await jsonpath(A, ['events', '--field-selector', 'involvedObject.name=west,reason=PeeringTokenGenerated'], '{range .items[*]}{.message}{"\\n"}{end}')).trim().split('\n');
    assert.equal(generated.length, 2, `exactly two tokens were generated (initial, version 1), none by restarts or racing reconciles:\n${generated.join('\n')}`);
    assert.ok(generated.some((m) => /\(peering-version raised to 1\)$/.test(m)), generated.join('\n'));
    await until(async () => ((await http(B, 'GET', '/v1/health/service/backend?peer=east')).json() as unknown as unknown[]).length === 1, 'still imported');
  });

  it('deleting the dialer deletes its peering and keeps the copied Secret; finalizer released', async () => {
    const d = await B.k(['delete', 'peeringdialer', 'east', '--timeout=30s']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(B.api.get('consul.hashicorp.com', 'peeringdialers', 'default', 'east'), undefined);
    await until(async () => (await peeringState(B, 'east')) === undefined, 'peering gone in B');
    assert.ok(B.api.get('', 'secrets', 'default', 'peering-token'), 'the dialer never deletes the Secret');
  });

  it('deleting the acceptor while its server is down keeps the finalizer and says why, then completes', async () => {
    await A.agent.stop();
    const d = await A.k(['delete', 'peeringacceptor', 'west', '--wait=false']);
    assert.equal(d.code, 0, d.stderr);
    await until(async () => (await jsonpath(A, ['peeringacceptor', 'west'], '{.status.conditions[0].reason}')) === 'consulAgentError', 'failure recorded');
    assert.match(await jsonpath(A, ['peeringacceptor', 'west'], '{.status.conditions[0].message}'), /cannot reach the server/);
    assert.ok(A.api.get('consul.hashicorp.com', 'peeringacceptors', 'default', 'west')?.metadata.deletionTimestamp, 'held by the finalizer');
    assert.ok(A.api.get('', 'secrets', 'default', 'peering-token'), 'the Secret stays until the peering is deleted');
    const warn = await jsonpath(A, ['events', '--field-selector', 'involvedObject.name=west,type=Warning'], '{.items[0].reason}');
    assert.equal(warn, 'consulAgentError');
    await startServer(A);
    await until(async () => A.api.get('consul.hashicorp.com', 'peeringacceptors', 'default', 'west') === undefined, 'acceptor released', 40_000);
    assert.equal(A.api.get('', 'secrets', 'default', 'peering-token'), undefined, 'token Secret cleaned');
    await until(async () => (await peeringState(A, 'west')) === undefined, 'peering gone in A');
  });

  it('deleting config CRs deletes their entries', async () => {
    for (const [kind, name, entry] of [['exportedservices', 'default', 'exported-services/default'], ['serviceintentions', 'backend', 'service-intentions/backend']] as const) {
      const r = await A.k(['delete', kind, name, '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await http(A, 'GET', `/v1/config/${entry}`)).status, 404);
    }
  });
});
