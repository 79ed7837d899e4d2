// The Kubernetes objects the endpoints controller reads (only the fields it uses), the catalog registration it
// writes, and the consul-k8s names it keeps (annotations, labels, meta keys: verbatim, kubernetes.md §6.2, §2.7).

export const ANNOTATION = {
  connectService: 'consul.hashicorp.com/connect-service',
  connectServicePort: 'consul.hashicorp.com/connect-service-port',
  upstreams: 'consul.hashicorp.com/connect-service-upstreams',
  serviceTags: 'consul.hashicorp.com/service-tags',
  connectServiceTags: 'consul.hashicorp.com/connect-service-tags',
  serviceMetaPrefix: 'consul.hashicorp.com/service-meta-',
  injectStatus: 'consul.hashicorp.com/connect-inject-status',
  transparentProxy: 'consul.hashicorp.com/transparent-proxy',
  transparentProxyStatus: 'consul.hashicorp.com/transparent-proxy-status',
  gatewayKind: 'consul.hashicorp.com/gateway-kind',
  gatewayServiceName: 'consul.hashicorp.com/gateway-consul-service-name',
  meshGatewayContainerPort: 'consul.hashicorp.com/mesh-gateway-container-port',
  gatewayWanAddressSource: 'consul.hashicorp.com/gateway-wan-address-source',
  gatewayWanAddressStatic: 'consul.hashicorp.com/gateway-wan-address-static',
  gatewayWanPort: 'consul.hashicorp.com/gateway-wan-port',
} as const;

export const MANAGED_BY_LABEL = 'consul.hashicorp.com/connect-inject-managed-by';
export const MANAGED_BY = 'consul-k8s-endpoints-controller';
export const INJECTED = 'injected';

export const META = {
  podName: 'pod-name',
  k8sServiceName: 'k8s-service-name',
  k8sNamespace: 'k8s-namespace',
  managedBy: 'managed-by',
  podUid: 'pod-uid',
  syntheticNode: 'synthetic-node',
} as const;

export const CHECK_NAME = 'Kubernetes Readiness Check';
export const CHECK_TYPE = 'kubernetes-readiness';
export const PASSING_OUTPUT = 'Kubernetes health checks passing';
export const notReadyOutput = (namespace: string, pod: string): string => `Pod "${namespace}/${pod}" is not ready`;
export const PROXY_PORT = 20000;
export const SYNTHETIC_NODE_SUFFIX = '-virtual';
/** Requeue delay when a pod behind an address has no IPs yet (consul-k8s: 2 s). */
export const NOT_POPULATED_REQUEUE_MS = 2000;

export const TOPOLOGY_REGION = 'topology.kubernetes.io/region';
export const TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

export interface ObjMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export interface EndpointsObj {
  metadata: ObjMeta;
  subsets?: { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports?: { name?: string; port: number; protocol?: string }[] }[];
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface PodObj {
  metadata: ObjMeta;
  spec?: { nodeName?: string; containers?: { name: string; ports?: ContainerPort[] }[] };
  status?: { podIP?: string; hostIP?: string; phase?: string };
}

export interface ServicePortObj {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceObj {
  metadata: ObjMeta;
  spec?: { type?: string; clusterIP?: string; ports?: ServicePortObj[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface NodeObj {
  metadata: ObjMeta;
}

export type HealthStatus = 'passing' | 'critical';

export interface ServiceAddress {
  Address: string;
  Port: number;
}

/** The service part of a `PUT /v1/catalog/register` body (Consul's AgentService field names). */
export interface ServiceReg {
  Kind?: 'connect-proxy' | 'mesh-gateway';
  ID: string;
  Service: string;
  Port: number;
  Address: string;
  Meta: Record<string, string>;
  Tags: string[];
  TaggedAddresses?: Record<string, ServiceAddress>;
  Proxy?: Record<string, unknown>;
  Locality?: { Region: string; Zone?: string };
}

export interface CheckReg {
  CheckID: string;
  Name: string;
  Type: string;
  Status: HealthStatus;
  ServiceID: string;
  Output: string;
}

/** One `PUT /v1/catalog/register` body. */
export interface Registration {
  Node: string;
  Address: string;
  NodeMeta: Record<string, string>;
  Service: ServiceReg;
  Check: CheckReg;
  SkipNodeUpdate: true;
}
