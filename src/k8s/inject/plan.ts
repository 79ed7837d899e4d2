// Pure: what the connect-inject webhook does to a pod (dataplane-l7-auth.md §8): whether to inject, the
// checks that refuse it, and the injected pod (volume, init container, sidecar, annotations, labels).
import {
  ACL_TOKEN_FILE,
  ANN,
  AnnotationError,
  exclusions,
  INIT_CONTAINER,
  INIT_UID,
  INJECTED,
  LABEL,
  MANAGED_BY_ENDPOINTS,
  parseGoBool,
  PROXY_ID_FILE,
  PROXY_INBOUND_PORT,
  PROXY_OUTBOUND_PORT,
  PROXY_UID,
  REDIRECT_ENV,
  SA_TOKEN_PATH,
  SIDECAR_CONTAINER,
  VOLUME_NAME,
  VOLUME_PATH,
} from './annotations.js';
import { parseUpstreams } from '../endpoints/upstreams.js';
import { overwriteProbes } from './probes.js';
import type { PodObj } from '../endpoints/types.js';

/** Named container ports of the pod (name → number). */
type NamedPorts = Record<string, number>;

/**
 * `<NAME>_CONNECT_SERVICE_HOST` / `_PORT` for each upstream entry (split on comma, space or newline); NAME is
 * the service part upper-cased with `-` → `_`, dots kept (e.g. `BACKEND.SVC.CLUSTER_02.PEER`).
 */
export function upstreamEnv(annotation: string | undefined): { name: string; value: string }[] {
  const env: { name: string; value: string }[] = [];
  for (const raw of (annotation ?? '').split(/[,\s]+/)) {
    if (raw === '' || raw.startsWith('prepared_query')) continue;
    const [svc, port] = raw.split(':');
    if (!svc || !port) continue;
    const name = svc.toUpperCase().replace(/-/g, '_');
    env.push({ name: `${name}_CONNECT_SERVICE_HOST`, value: '127.0.0.1' }, { name: `${name}_CONNECT_SERVICE_PORT`, value: port.trim() });
  }
  return env;
}

export type Json = Record<string, unknown>;

export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort?: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  [k: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; generateName?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string>; [k: string]: unknown };
  spec: { containers: Container[]; initContainers?: Container[]; volumes?: Json[]; serviceAccountName?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** The injector's settings (from `isthmus k8s controller` flags, which the chart sets from its values). */
export interface InjectSettings {
  /** Image of the injected containers (the isthmus binary). */
  image: string;
  /** HTTP address of the servers, given to the injected containers as CONSUL_HTTP_ADDR. */
  serverAddr: string;
  /** Inject pods without the connect-inject annotation (Helm `connectInject.default`). */
  defaultInject: boolean;
  /** Transparent proxy when neither pod annotation nor namespace label says (Helm `connectInject.transparentProxy.defaultEnabled`). */
  tproxyDefault: boolean;
  /** With managed ACLs: the auth method injected containers log in with. */
  authMethod?: string;
  /** Namespaces whose pods may be injected (Helm `connectInject.k8sAllowNamespaces`; `*` = all). @default ['*'] */
  allowNamespaces?: string[];
  /** Namespaces never injected, over the allow list (Helm `connectInject.k8sDenyNamespaces`). */
  denyNamespaces?: string[];
  /** Rewrite HTTP probes of transparent-proxy pods unless the annotation says otherwise (Helm `connectInject.transparentProxy.defaultOverwriteProbes`). @default true */
  overwriteProbesDefault?: boolean;
}

export type Decision = { inject: false; reason: string } | { inject: true; pod: Pod; tproxy: boolean; service?: string };

/** The redirect rules connect-init applies (Go field names, as consul-k8s writes them). */
export interface RedirectJson {
  ConsulDNSIP: string;
  ConsulDNSPort: number;
  ProxyUserID: string;
  ProxyInboundPort: number;
  ProxyOutboundPort: number;
  ExcludeInboundPorts: string[] | null;
  ExcludeOutboundPorts: string[] | null;
  ExcludeOutboundCIDRs: string[] | null;
  ExcludeUIDs: string[] | null;
  NetNS: string;
}

const SKIPPED_NAMESPACES = ['kube-system', 'kube-public'];
const orNull = (a: string[]): string[] | null => (a.length ? a : null);

function namedPorts(pod: Pod): NamedPorts {
  const out: NamedPorts = {};
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name && p.containerPort) out[p.name] ??= p.containerPort;
  return out;
}

/** Whether the pod asks for injection (annotation, else the default); why not, when not. */
function wanted(pod: Pod, namespace: string, s: InjectSettings): string | undefined {
  const a = pod.metadata.annotations ?? {};
  if (SKIPPED_NAMESPACES.includes(namespace)) return `namespace ${namespace} is never injected`;
  const allow = s.allowNamespaces ?? ['*'];
  if (!(allow.includes('*') || allow.includes(namespace)) || (s.denyNamespaces ?? []).includes(namespace)) return `namespace ${namespace} is not allowed for injection`;
  if (a[ANN.injectStatus] !== undefined && a[ANN.injectStatus] !== '') return 'already injected';
  if (a[ANN.gatewayKind] !== undefined) return 'gateway pods are not injected';
  const raw = a[ANN.inject];
  if (raw === undefined) return s.defaultInject ? undefined : 'not annotated for injection';
  let on: boolean;
  try {
    on = parseGoBool(raw);
  } catch (err) {
    throw new AnnotationError(`Error checking if should inject: ${(err as Error).message}`);
  }
  return on ? undefined : `${ANN.inject} is "${raw}"`;
}

/** Transparent proxy: pod annotation > namespace label > default. */
export function tproxyEnabled(pod: Pod, namespaceLabels: Record<string, string>, s: InjectSettings): boolean {
  const raw = pod.metadata.annotations?.[ANN.tproxy] ?? namespaceLabels[LABEL.tproxy];
  if (raw === undefined) return s.tproxyDefault;
  try {
    return parseGoBool(raw);
  } catch (err) {
    throw new AnnotationError(`error determining if transparent proxy is enabled: ${(err as Error).message}`);
  }
}

const env = (name: string, value: string): { name: string; value: string } => ({ name, value });
const fieldEnv = (name: string, fieldPath: string): { name: string; valueFrom: unknown } => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** Decides and, when injecting, returns the injected pod (the input is not changed). */
export function planInjection(input: Pod, namespace: string, namespaceLabels: Record<string, string>, s: InjectSettings): Decision {
  const why = wanted(input, namespace, s);
  if (why) return { inject: false, reason: why };
  // The input as sent (kept in the original-pod annotation) and a private copy to change, from one serialization.
  const original = JSON.stringify(input);
  const pod = JSON.parse(original) as Pod;
  const a = (pod.metadata.annotations ??= {});
  for (const removed of [
    [ANN.protocol, `the "${ANN.protocol}" annotation is no longer supported. Instead, create a ServiceDefaults resource (see www.consul.io/docs/k8s/crds/upgrade-to-crds)`],
    [ANN.syncPeriod, `the "${ANN.syncPeriod}" annotation is no longer supported because consul-sidecar is no longer injected to periodically register services`],
  ] as const) {
    if (a[removed[0]] !== undefined) throw new AnnotationError(`Error validating pod: ${removed[1]}`);
  }
  if (!Array.isArray(pod.spec?.containers) || pod.spec.containers.length === 0) throw new AnnotationError('Error validating pod: the pod has no containers');
  const services = (a[ANN.service] ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  for (const name of services) if (!/^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?$/.test(name)) throw new AnnotationError(`invalid service name ${JSON.stringify(name)} in annotation ${ANN.service}`);
  // Multi-port: one init container and one sidecar per service (suffix -<svc>, inbound port 20000+i).
  const multi = services.length > 1;
  if (multi && s.authMethod) throw new AnnotationError(`multi-port pods (a list in ${ANN.service}) are not supported with managed ACLs: each service needs its own service account`);
  const service = services[0];
  if (s.authMethod && service !== undefined && pod.spec.serviceAccountName !== service) {
    throw new AnnotationError(`service account name ${pod.spec.serviceAccountName ?? 'default'} doesn't match annotation service name ${service}`);
  }
  const named = namedPorts(pod);
  // The app's port: the annotation (a number or a named container port), else every port of the first container.
  const portAnn = a[ANN.servicePort];
  if (portAnn !== undefined) {
    for (const p of portAnn.split(',').map((x) => x.trim())) {
      const n = /^\d+$/.test(p) ? Number(p) : (named[p] ?? 0);
      if (!(n > 0 && n <= 65535)) throw new AnnotationError(`invalid port ${JSON.stringify(p)} in annotation ${ANN.servicePort}: not a port number or a named container port`);
    }
  } else {
    const first = (pod.spec.containers[0]?.ports ?? []).map((p) => p.name || (p.containerPort ? String(p.containerPort) : '')).filter(Boolean);
    if (first.length) a[ANN.servicePort] = first.join(',');
  }
  // The endpoints controller registers from the same annotation with the same parser: refuse what it would refuse.
  try {
    parseUpstreams(a[ANN.upstreams] ?? '', pod as unknown as PodObj);
  } catch (err) {
    throw new AnnotationError((err as Error).message);
  }
  const tproxy = tproxyEnabled(pod, namespaceLabels, s);
  if (multi && tproxy) throw new AnnotationError(`multi-port pods (a list in ${ANN.service}) are not supported with transparent proxy: set ${ANN.tproxy}: "false"`);
  const ex = exclusions(a);
  const probes = a[ANN.overwriteProbes];
  let rewriteProbes = s.overwriteProbesDefault ?? true;
  if (probes !== undefined) {
    try {
      rewriteProbes = parseGoBool(probes);
    } catch (err) {
      throw new AnnotationError(`invalid ${ANN.overwriteProbes}: ${(err as Error).message}`);
    }
  }
  const dnsAnn = a[ANN.consulDNS];
  if (dnsAnn !== undefined) {
    let dns: boolean;
    try {
      dns = parseGoBool(dnsAnn);
    } catch (err) {
      throw new AnnotationError(`invalid ${ANN.consulDNS}: ${(err as Error).message}`);
    }
    if (dns) throw new AnnotationError(`${ANN.consulDNS}: DNS redirection is not supported by this injector (the sidecar serves no DNS on 127.0.0.1:8600)`);
  }

  // Annotations and labels.
  a[ANN.originalPod] = original;
  a[ANN.injectStatus] = INJECTED;
  if (tproxy) a[ANN.tproxyStatus] = 'enabled';
  const labels = (pod.metadata.labels ??= {});
  labels[LABEL.injectStatus] = INJECTED;
  labels[LABEL.managedBy] = MANAGED_BY_ENDPOINTS;

  // Volume shared by the init container (writes the proxy id) and the sidecar (reads it).
  (pod.spec.volumes ??= []).push({ name: VOLUME_NAME, emptyDir: { medium: 'Memory' } });
  // Transparent proxy redirects the kubelet's probes too: move HTTP probes to ports the sidecar forwards.
  const moved = tproxy && rewriteProbes ? overwriteProbes(pod.spec.containers) : { excludeInbound: [], expose: [] };
  ex.inboundPorts.push(...moved.excludeInbound);
  const { inits, sidecars } = containersFor(multi ? services : [service], { tproxy, multi, exclusions: ex }, s);
  if (sidecars[0]) sidecars[0].args = [...((sidecars[0].args as string[] | undefined) ?? []), ...moved.expose.map((e) => `-expose-listener=${e}`)];
  // Upstream addresses for the app containers.
  const upEnv = upstreamEnv(a[ANN.upstreams]);
  if (upEnv.length) for (const c of pod.spec.containers) c.env = [...(c.env ?? []), ...upEnv];
  (pod.spec.initContainers ??= []).push(...inits);
  // The sidecars go first (consul-k8s with lifecycle on, the Helm default), so they start before the app.
  pod.spec.containers.unshift(...sidecars);
  return { inject: true, pod, tproxy, ...(service ? { service } : {}) };
}

/** The init containers and sidecars of an injected pod: one pair per service (one unnamed pair when no annotation). */
function containersFor(names: (string | undefined)[], o: { tproxy: boolean; multi: boolean; exclusions: ReturnType<typeof exclusions> }, s: InjectSettings): { inits: Container[]; sidecars: Container[] } {
  const { tproxy, multi } = o;
  const ex = o.exclusions;
  const mount = { name: VOLUME_NAME, mountPath: VOLUME_PATH };
  const common = [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('NODE_NAME', 'spec.nodeName'),
    env('CONSUL_NODE_NAME', '$(NODE_NAME)-virtual'),
    env('CONSUL_HTTP_ADDR', s.serverAddr),
  ];
  const login = s.authMethod ? [`-login-auth-method=${s.authMethod}`, `-login-bearer-token-path=${SA_TOKEN_PATH}`, '-login-meta=pod=$(POD_NAMESPACE)/$(POD_NAME)'] : [];

  const redirect: RedirectJson = {
    ConsulDNSIP: '',
    ConsulDNSPort: 0,
    ProxyUserID: String(PROXY_UID),
    ProxyInboundPort: PROXY_INBOUND_PORT,
    ProxyOutboundPort: PROXY_OUTBOUND_PORT,
    ExcludeInboundPorts: orNull(ex.inboundPorts),
    ExcludeOutboundPorts: orNull(ex.outboundPorts),
    ExcludeOutboundCIDRs: orNull(ex.cidrs),
    ExcludeUIDs: [String(INIT_UID), ...ex.uids],
    NetNS: '',
  };
  const inits: Container[] = [];
  const sidecars: Container[] = [];
  for (const [i, name] of names.entries()) {
    const suffix = multi ? `-${name}` : '';
    const idFile = `${PROXY_ID_FILE}${suffix}`;
    const init: Container = {
      name: `${INIT_CONTAINER}${suffix}`,
      image: s.image,
      env: [...common, ...(tproxy ? [env(REDIRECT_ENV, JSON.stringify(redirect))] : [])],
      command: ['isthmus'],
      args: [
        'k8s',
        'connect-init',
        '-pod-name=$(POD_NAME)',
        '-pod-namespace=$(POD_NAMESPACE)',
        '-node-name=$(CONSUL_NODE_NAME)',
        `-proxy-id-file=${idFile}`,
        ...(name ? [`-service-name=${name}`] : []),
        ...(s.authMethod ? [...login, `-acl-token-sink=${ACL_TOKEN_FILE}`] : []),
      ],
      volumeMounts: [mount],
      resources: { requests: { cpu: '50m', memory: '25Mi' }, limits: { cpu: '50m', memory: '150Mi' } },
      // The redirect rules need root with NET_ADMIN; otherwise the init container runs as its own UID.
      securityContext: tproxy
        ? { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, privileged: false, capabilities: { add: ['NET_ADMIN'] } }
        : { runAsUser: INIT_UID, runAsGroup: INIT_UID, runAsNonRoot: true, privileged: false, capabilities: { drop: ['ALL'] } },
    };
    const sidecar: Container = {
      name: `${SIDECAR_CONTAINER}${suffix}`,
      image: s.image,
      env: [...common, env('DP_CREDENTIAL_LOGIN_META', 'pod=$(POD_NAMESPACE)/$(POD_NAME)')],
      command: ['isthmus'],
      args: ['connect', 'proxy', `-proxy-service-id-path=${idFile}`, '-node-name=$(CONSUL_NODE_NAME)', ...login],
      ports: [{ name: multi ? `proxy-in-${i}` : 'proxy-inbound', containerPort: PROXY_INBOUND_PORT + i }],
      readinessProbe: { tcpSocket: { port: PROXY_INBOUND_PORT + i }, failureThreshold: 3, initialDelaySeconds: 1, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
      volumeMounts: [mount],
      resources: { requests: { cpu: '100m', memory: '100Mi' }, limits: { cpu: '100m', memory: '100Mi' } },
      securityContext: { runAsUser: PROXY_UID, runAsGroup: PROXY_UID, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
    };
    inits.push(init);
    sidecars.push(sidecar);
  }
  return { inits, sidecars };
}
