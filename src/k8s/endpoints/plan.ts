// The pure plan of the endpoints controller: one Endpoints object with the Pods behind it, its Service and their
// Nodes → the catalog registrations they should have (kubernetes.md §6.2, dataplane-l7-auth.md §8). No I/O.
import { wanAddress } from './gateway.js';
import {
  ANNOTATION,
  CHECK_NAME,
  CHECK_TYPE,
  INJECTED,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  META,
  NOT_POPULATED_REQUEUE_MS,
  PASSING_OUTPUT,
  PROXY_PORT,
  SYNTHETIC_NODE_SUFFIX,
  TOPOLOGY_REGION,
  TOPOLOGY_ZONE,
  notReadyOutput,
  type EndpointAddress,
  type EndpointsObj,
  type HealthStatus,
  type NodeObj,
  type PodObj,
  type Registration,
  type ServiceAddress,
  type ServiceObj,
  type ServiceReg,
} from './types.js';
import { parseUpstreams } from './upstreams.js';
import { portValue } from './ports.js';

export interface PlanInput {
  namespace: string;
  /** The Endpoints (and Service) name: the k8s service. */
  name: string;
  /** undefined when the Endpoints object is gone: everything registered for it goes. */
  endpoints: EndpointsObj | undefined;
  /** The pods the addresses point at, by name (missing ones are gone). */
  pods: ReadonlyMap<string, PodObj>;
  service: ServiceObj | undefined;
  /** The Kubernetes nodes of those pods, by name (for Locality). */
  nodes: ReadonlyMap<string, NodeObj>;
}

export interface Plan {
  /** Every registration that should exist, services before their proxies. */
  registrations: Registration[];
  /** Service IDs that exist in Kubernetes but could not be planned now: never deregistered for that. */
  retained: string[];
  /** `PUT /v1/internal/service-virtual-ip` calls (transparent proxy: the Service's ClusterIP). */
  virtualIps: { Service: string; ManualVIPs: string[] }[];
  /** Per-address failures (the rest of the plan still applies); the reconcile is retried with backoff. */
  errors: string[];
  /** Ask to run again after this long (an address whose pod has no IPs yet). */
  requeueMs?: number;
}

/** The label the webhook sets, or the injected annotation: pods this controller owns. */
export function isManaged(pod: PodObj): boolean {
  return pod.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY || pod.metadata.annotations?.[ANNOTATION.injectStatus] === INJECTED;
}

export function isMeshGateway(pod: PodObj): boolean {
  return pod.metadata.annotations?.[ANNOTATION.gatewayKind] === 'mesh-gateway';
}

export const syntheticNodeName = (k8sNode: string): string => `${k8sNode}${SYNTHETIC_NODE_SUFFIX}`;
export const checkId = (namespace: string, serviceId: string): string => `${namespace}/${serviceId}`;

function commaList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function tproxyEnabled(pod: PodObj): boolean {
  const a = pod.metadata.annotations ?? {};
  const status = a[ANNOTATION.transparentProxyStatus];
  if (status !== undefined) return status === 'enabled';
  return a[ANNOTATION.transparentProxy] === 'true';
}

function locality(node: NodeObj | undefined): ServiceReg['Locality'] | undefined {
  const region = node?.metadata.labels?.[TOPOLOGY_REGION];
  if (!region) return undefined;
  const zone = node?.metadata.labels?.[TOPOLOGY_ZONE];
  return { Region: region, ...(zone ? { Zone: zone } : {}) };
}

function meta(pod: PodObj, input: PlanInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.metadata.annotations ?? {})) {
    if (k.startsWith(ANNOTATION.serviceMetaPrefix) && k.length > ANNOTATION.serviceMetaPrefix.length) out[k.slice(ANNOTATION.serviceMetaPrefix.length)] = v;
  }
  return {
    ...out,
    [META.podName]: pod.metadata.name,
    [META.k8sServiceName]: input.name,
    [META.k8sNamespace]: input.namespace,
    [META.managedBy]: MANAGED_BY,
    [META.podUid]: pod.metadata.uid ?? '',
    [META.syntheticNode]: 'true',
  };
}

function check(namespace: string, pod: string, serviceId: string, status: HealthStatus): Registration['Check'] {
  return { CheckID: checkId(namespace, serviceId), Name: CHECK_NAME, Type: CHECK_TYPE, Status: status, ServiceID: serviceId, Output: status === 'passing' ? PASSING_OUTPUT : notReadyOutput(namespace, pod) };
}

/** The Service port whose target is the pod's service port: `virtual` = {ClusterIP, that port}. */
function virtualAddress(service: ServiceObj | undefined, pod: PodObj, servicePort: number): ServiceAddress | undefined {
  const ip = service?.spec?.clusterIP;
  if (!ip || ip === 'None') return undefined;
  for (const sp of service?.spec?.ports ?? []) {
    const target = sp.targetPort === undefined ? sp.port : typeof sp.targetPort === 'number' ? sp.targetPort : portValue(pod, sp.targetPort);
    if (target === servicePort) return { Address: ip, Port: sp.port };
  }
  return undefined;
}

/** The connect registrations of one injected pod: the service and its sidecar proxy. */
function connectRegistrations(pod: PodObj, status: HealthStatus, input: PlanInput, out: Plan): Registration[] {
  const a = pod.metadata.annotations ?? {};
  const podName = pod.metadata.name;
  const names = commaList(a[ANNOTATION.connectService]);
  // Multi-port pods list several services: this Endpoints registers only the one named after it.
  const index = names.length > 1 ? names.indexOf(input.name) : 0;
  if (index < 0) return [];
  const svcName = names.length > 1 ? input.name : (names[0] ?? input.name);
  const ports = commaList(a[ANNOTATION.connectServicePort]);
  const portText = (names.length > 1 ? ports[index] : ports[0]) ?? '';
  const port = portText ? portValue(pod, portText) : 0;
  if (portText && port <= 0) throw new Error(`invalid ${ANNOTATION.connectServicePort} ${JSON.stringify(portText)} on pod ${input.namespace}/${podName}: not a port number or a named container port`);
  const serviceId = `${podName}-${svcName}`;
  const proxyId = `${serviceId}-sidecar-proxy`;
  const m = meta(pod, input);
  const tags = [...commaList(a[ANNOTATION.serviceTags]), ...commaList(a[ANNOTATION.connectServiceTags])];
  const loc = locality(input.nodes.get(pod.spec?.nodeName ?? ''));
  const proxy: Record<string, unknown> = { DestinationServiceName: svcName, DestinationServiceID: serviceId, LocalServiceAddress: '127.0.0.1' };
  if (port > 0) proxy.LocalServicePort = port;
  const upstreams = a[ANNOTATION.upstreams];
  if (index === 0 && upstreams) {
    try {
      const ups = parseUpstreams(upstreams, pod);
      if (ups.length) proxy.Upstreams = ups;
    } catch (err) {
      throw new Error(`pod ${input.namespace}/${podName}: ${(err as Error).message}`);
    }
  }
  let virtual: ServiceAddress | undefined;
  if (tproxyEnabled(pod)) {
    proxy.Mode = 'transparent';
    virtual = virtualAddress(input.service, pod, port);
    const ip = input.service?.spec?.clusterIP;
    if (ip && ip !== 'None' && !out.virtualIps.some((v) => v.Service === svcName)) out.virtualIps.push({ Service: svcName, ManualVIPs: [ip] });
  }
  const node = { Node: syntheticNodeName(pod.spec?.nodeName ?? ''), Address: pod.status?.hostIP ?? '', NodeMeta: { [META.syntheticNode]: 'true' }, SkipNodeUpdate: true as const };
  const podIP = pod.status?.podIP ?? '';
  const service: ServiceReg = { ID: serviceId, Service: svcName, Port: port, Address: podIP, Meta: m, Tags: tags, ...(virtual ? { TaggedAddresses: { virtual } } : {}), ...(loc ? { Locality: loc } : {}) };
  const sidecar: ServiceReg = {
    Kind: 'connect-proxy',
    ID: proxyId,
    Service: `${svcName}-sidecar-proxy`,
    Port: PROXY_PORT + (names.length > 1 ? index : 0),
    Address: podIP,
    Meta: { ...m },
    Tags: [...tags],
    Proxy: proxy,
    ...(virtual ? { TaggedAddresses: { virtual: { ...virtual } } } : {}),
    ...(loc ? { Locality: { ...loc } } : {}),
  };
  return [
    { ...node, Service: service, Check: check(input.namespace, podName, serviceId, status) },
    { ...node, NodeMeta: { ...node.NodeMeta }, Service: sidecar, Check: check(input.namespace, podName, proxyId, status) },
  ];
}

/** The one registration of a mesh-gateway pod. */
function gatewayRegistration(pod: PodObj, status: HealthStatus, input: PlanInput): Registration {
  const a = pod.metadata.annotations ?? {};
  const podName = pod.metadata.name;
  const name = (a[ANNOTATION.gatewayServiceName] ?? '').trim();
  if (!name) throw new Error(`pod ${input.namespace}/${podName} has no ${ANNOTATION.gatewayServiceName} annotation`);
  const portText = a[ANNOTATION.meshGatewayContainerPort] ?? '';
  const port = portValue(pod, portText);
  if (!(port > 0)) throw new Error(`invalid ${ANNOTATION.meshGatewayContainerPort} ${JSON.stringify(portText)} on pod ${input.namespace}/${podName}`);
  const podIP = pod.status?.podIP ?? '';
  const wan = wanAddress(pod, input.service, input.name, input.namespace);
  const loc = locality(input.nodes.get(pod.spec?.nodeName ?? ''));
  return {
    Node: syntheticNodeName(pod.spec?.nodeName ?? ''),
    Address: pod.status?.hostIP ?? '',
    NodeMeta: { [META.syntheticNode]: 'true' },
    SkipNodeUpdate: true,
    Service: { Kind: 'mesh-gateway', ID: podName, Service: name, Port: port, Address: podIP, Meta: meta(pod, input), Tags: [], TaggedAddresses: { lan: { Address: podIP, Port: port }, wan }, ...(loc ? { Locality: loc } : {}) },
    Check: check(input.namespace, podName, podName, status),
  };
}

/** Plans the registrations of one k8s service. Addresses in `addresses` are passing, `notReadyAddresses` critical. */
export function planEndpoints(input: PlanInput): Plan {
  const out: Plan = { registrations: [], retained: [], virtualIps: [], errors: [] };
  if (!input.endpoints) return out;
  const seen = new Set<string>();
  const addresses: [EndpointAddress, HealthStatus][] = [];
  for (const s of input.endpoints.subsets ?? []) {
    for (const addr of s.addresses ?? []) addresses.push([addr, 'passing']);
    for (const addr of s.notReadyAddresses ?? []) addresses.push([addr, 'critical']);
  }
  for (const [addr, status] of addresses) {
    const ref = addr.targetRef;
    if (ref?.kind !== 'Pod' || !ref.name || seen.has(ref.name)) continue;
    seen.add(ref.name);
    const pod = input.pods.get(ref.name);
    if (!pod || !isManaged(pod)) continue;
    if (!pod.status?.podIP || !pod.status.hostIP || !pod.spec?.nodeName) {
      out.requeueMs = NOT_POPULATED_REQUEUE_MS;
      continue;
    }
    try {
      if (isMeshGateway(pod)) out.registrations.push(gatewayRegistration(pod, status, input));
      else out.registrations.push(...connectRegistrations(pod, status, input, out));
    } catch (err) {
      out.errors.push((err as Error).message);
      // Keep whatever this pod already has in the catalog: a transient failure must not deregister it.
      out.retained.push(...retainedIds(pod, input));
    }
  }
  return out;
}

/** The service IDs a pod may hold for this k8s service (kept while its plan fails). */
function retainedIds(pod: PodObj, input: PlanInput): string[] {
  if (isMeshGateway(pod)) return [pod.metadata.name];
  const names = commaList(pod.metadata.annotations?.[ANNOTATION.connectService]);
  const svc = names.length > 1 ? input.name : (names[0] ?? input.name);
  const id = `${pod.metadata.name}-${svc}`;
  return [id, `${id}-sidecar-proxy`];
}
