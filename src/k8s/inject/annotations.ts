// Pure: the consul-k8s injection annotations and labels (names verbatim, dataplane-l7-auth.md §8), the
// constants of an injected pod, and the checks of the annotation values a user writes.

const P = 'consul.hashicorp.com/';

export const ANN = {
  inject: `${P}connect-inject`,
  meshInject: `${P}mesh-inject`,
  service: `${P}connect-service`,
  servicePort: `${P}connect-service-port`,
  upstreams: `${P}connect-service-upstreams`,
  tproxy: `${P}transparent-proxy`,
  excludeInboundPorts: `${P}transparent-proxy-exclude-inbound-ports`,
  excludeOutboundPorts: `${P}transparent-proxy-exclude-outbound-ports`,
  excludeOutboundCIDRs: `${P}transparent-proxy-exclude-outbound-cidrs`,
  excludeUIDs: `${P}transparent-proxy-exclude-uids`,
  overwriteProbes: `${P}transparent-proxy-overwrite-probes`,
  consulDNS: `${P}consul-dns`,
  gatewayKind: `${P}gateway-kind`,
  /** Removed annotations consul-k8s refuses. */
  protocol: `${P}connect-service-protocol`,
  syncPeriod: `${P}connect-sync-period`,
  // Set by the webhook.
  injectStatus: `${P}connect-inject-status`,
  tproxyStatus: `${P}transparent-proxy-status`,
  originalPod: `${P}original-pod`,
} as const;

export const LABEL = {
  injectStatus: `${P}connect-inject-status`,
  managedBy: `${P}connect-inject-managed-by`,
  /** Namespace label that sets the transparent-proxy default of its pods. */
  tproxy: `${P}transparent-proxy`,
} as const;

export const INJECTED = 'injected';
export const MANAGED_BY_ENDPOINTS = 'consul-k8s-endpoints-controller';

export const VOLUME_NAME = 'consul-connect-inject-data';
export const VOLUME_PATH = '/consul/connect-inject';
export const PROXY_ID_FILE = `${VOLUME_PATH}/proxyid`;
export const ACL_TOKEN_FILE = `${VOLUME_PATH}/acl-token`;
export const INIT_CONTAINER = 'consul-connect-inject-init';
export const SIDECAR_CONTAINER = 'consul-dataplane';
export const SA_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export const PROXY_INBOUND_PORT = 20000;
export const PROXY_OUTBOUND_PORT = 15001;
export const PROXY_UID = 5995;
export const INIT_UID = 5996;
/** The env var connect-init reads the redirect rules from. */
export const REDIRECT_ENV = 'CONSUL_REDIRECT_TRAFFIC_CONFIG';

/** An annotation value the webhook refuses (the admission message). */
export class AnnotationError extends Error {}

/** Go's strconv.ParseBool, with its error text. */
export function parseGoBool(v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new AnnotationError(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** A comma list as consul-k8s splits it (trimmed, empty items dropped). */
export function commaList(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const isPort = (s: string): boolean => /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;

function ipv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function ipv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  const tail = groups[groups.length - 1] ?? '';
  const v4 = tail.includes('.');
  if (v4 && !ipv4(tail)) return false;
  const hex = v4 ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}

/** An IP or CIDR as iptables `-d` takes it. */
export function isCidr(s: string): boolean {
  const [ip, bits, extra] = s.split('/');
  if (extra !== undefined || !ip) return false;
  const v4 = ipv4(ip);
  if (!v4 && !ipv6(ip)) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128);
}

/** The transparent-proxy exclusion annotations, checked (each refused value names its annotation). */
export function exclusions(annotations: Record<string, string>): { inboundPorts: string[]; outboundPorts: string[]; cidrs: string[]; uids: string[] } {
  const check = (key: string, ok: (s: string) => boolean, what: string): string[] => {
    const items = commaList(annotations[key]);
    for (const item of items) if (!ok(item)) throw new AnnotationError(`invalid ${what} ${JSON.stringify(item)} in annotation ${key}`);
    return items;
  };
  const portOrRange = (s: string): boolean => {
    const m = /^(\d+):(\d+)$/.exec(s);
    return m ? isPort(m[1] as string) && isPort(m[2] as string) && Number(m[1]) <= Number(m[2]) : isPort(s);
  };
  return {
    inboundPorts: check(ANN.excludeInboundPorts, portOrRange, 'port (a number 1-65535 or a range low:high)'),
    outboundPorts: check(ANN.excludeOutboundPorts, portOrRange, 'port (a number 1-65535 or a range low:high)'),
    cidrs: check(ANN.excludeOutboundCIDRs, isCidr, 'CIDR'),
    uids: check(ANN.excludeUIDs, (s) => /^\d{1,10}$/.test(s) && Number(s) <= 4294967295, 'UID'),
  };
}
