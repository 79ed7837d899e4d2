// What the connect-injection tests render and apply: the chart with injection values, and the objects the
// missing Kubernetes controllers would write (a Deployment's pod, kube-controller-manager's Endpoints, a Node, a Service).
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { CHART, helm } from './tools.js';

type Obj = Record<string, unknown>;
export const NODE = 'kind-worker';
export const WEBHOOK = 'r-isthmus-connect-injector.consul.hashicorp.com';

export interface InjectChart {
  docs: Obj[];
  cert: string;
  key: string;
  /** The controller's args as the chart sets them, minus the in-cluster listen address, cert paths and log level. */
  controllerArgs: string[];
}

/** The chart (release r, namespace consul) with connect injection and these extra values. */
export function renderInjectChart(sets: string[]): InjectChart {
  const r = helm(['template', 'r', CHART, '--namespace', 'consul', ...['connectInject.enabled=true', ...sets].flatMap((s) => ['--set', s])]);
  assert.equal(r.code, 0, r.stderr);
  const docs = (yaml.loadAll(r.stdout) as (Obj | null)[]).filter((d): d is Obj => d !== null);
  const named = (kind: string, name: string): Obj => docs.find((d) => d.kind === kind && (d.metadata as Obj).name === name) as Obj;
  const secret = named('Secret', 'r-isthmus-connect-inject-webhook-cert').data as Record<string, string>;
  const deploy = named('Deployment', 'r-isthmus-connect-injector') as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
  const args = deploy.spec.template.spec.containers[0]?.args ?? [];
  const controllerArgs = args.slice(args.indexOf('controller') + 1).filter((a) => !/^--(webhook-|log-level)/.test(a));
  const dec = (k: string): string => Buffer.from(secret[k] as string, 'base64').toString('utf8');
  return { docs, cert: dec('tls.crt'), key: dec('tls.key'), controllerArgs };
}

/** CRDs and the MutatingWebhookConfiguration of a rendered chart, as one YAML stream for kubectl apply. */
export const webhookObjects = (c: InjectChart): string =>
  c.docs
    .filter((d) => d.kind === 'CustomResourceDefinition' || d.kind === 'MutatingWebhookConfiguration')
    .map((d) => yaml.dump(d))
    .join('---\n');

/** A pod as a Deployment's template produces it (ReplicaSet owner, pod-template-hash), no kubelet fields yet. */
export function deploymentPod(name: string, app: string, annotations: Record<string, string>, extra: { serviceAccountName?: string; namespace?: string; labels?: Record<string, string> } = {}): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: extra.namespace ?? 'default',
      labels: { app, 'pod-template-hash': '7c9d8f6b5', ...(extra.labels ?? {}) },
      annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7c9d8f6b5`, uid: '8d3c1c0e-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      serviceAccountName: extra.serviceAccountName ?? app,
      containers: [{ name: app, image: `example/${app}:1`, ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  });
}

export const nodeObject = (hostIp: string): string => yaml.dump({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { addresses: [{ type: 'InternalIP', address: hostIp }] } });

export const serviceObject = (name: string, clusterIP: string): string =>
  yaml.dump({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP, selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });

/** The Endpoints kube-controller-manager writes for a Service whose selected pods are ready. */
export const endpointsObject = (name: string, ready: [string, string][]): string =>
  yaml.dump({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default' },
    subsets: ready.length ? [{ addresses: ready.map(([p, ip]) => ({ ip, nodeName: NODE, targetRef: { kind: 'Pod', name: p, namespace: 'default' } })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] : [],
  });

/** The scheduler's binding and the kubelet's status report of a pod, as kubectl patches. */
export const scheduleAndReport = (pod: string, podIP: string, hostIP: string): string[][] => [
  ['patch', 'pod', pod, '--type=merge', '-p', JSON.stringify({ spec: { nodeName: NODE } })],
  ['patch', 'pod', pod, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', podIP, hostIP, conditions: [{ type: 'Ready', status: 'True' }] } })],
];
