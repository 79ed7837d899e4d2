// The `consul.hashicorp.com/connect-service-upstreams` annotation → Proxy.Upstreams (kubernetes.md §6.1, CE:
// namespaces and partitions off). Pure; errors carry consul-k8s's texts.
// The connect-inject webhook refuses pods with the same checks (k8s/inject/plan.ts), so this is the one parser.
import { portValue } from './ports.js';
import type { PodObj } from './types.js';

/** One entry of Proxy.Upstreams as the endpoints controller registers it. */
export interface Upstream {
  DestinationType: 'service' | 'prepared_query';
  DestinationName: string;
  DestinationPeer?: string;
  Datacenter?: string;
  LocalBindPort: number;
  LocalBindAddress?: string;
  DestinationPort?: number;
  MeshGateway?: { Mode: string };
}

const MESH_GATEWAY_MODES = ['none', 'local', 'remote'];
const OPTION_KEYS: Record<string, 'port' | 'address' | 'mode' | 'dc'> = {
  destination_port: 'port',
  'destination-port': 'port',
  destinationPort: 'port',
  port: 'port',
  local_bind_address: 'address',
  'local-bind-address': 'address',
  localBindAddress: 'address',
  mesh_gateway_mode: 'mode',
  'mesh-gateway-mode': 'mode',
  meshGatewayMode: 'mode',
  datacenter: 'dc',
  dc: 'dc',
};

/** Applies the labeled form's third segment: a bare destination port, or a query string of options. */
function applyOptions(u: Upstream, third: string, raw: string): void {
  if (!/[=&?]/.test(third)) {
    const port = Number(third);
    if (third !== '' && Number.isInteger(port) && port > 0) u.DestinationPort = port;
    else if (third !== '') throw new Error(`invalid upstream destination port "${third}" in "${raw}"`);
    return;
  }
  for (const pair of third.replace(/^\?/, '').split(/[&;]/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1));
    switch (OPTION_KEYS[key]) {
      case 'port': {
        const port = Number(value);
        if (!Number.isInteger(port) || port <= 0) throw new Error(`invalid upstream destination port "${value}" in "${raw}"`);
        u.DestinationPort = port;
        break;
      }
      case 'address':
        u.LocalBindAddress = value;
        break;
      case 'mode':
        if (!MESH_GATEWAY_MODES.includes(value)) throw new Error(`invalid upstream mesh gateway mode "${value}" in "${raw}"`);
        u.MeshGateway = { Mode: value };
        break;
      case 'dc':
        u.Datacenter = value;
        break;
      default:
        throw new Error(`unsupported upstream option "${key}" in "${raw}"`);
    }
  }
}

function parseOne(raw: string, pod: PodObj | undefined): Upstream {
  const parts = splitN(raw, ':', 3);
  if (parts[0] === 'prepared_query') {
    const rest = splitN(raw.slice('prepared_query:'.length), ':', 2);
    const port = portValue(pod, rest[1] ?? '');
    if (port <= 0) throw new Error(`invalid upstream local bind port "${rest[1] ?? ''}" in "${raw}"`);
    return { DestinationType: 'prepared_query', DestinationName: (rest[0] ?? '').trim(), LocalBindPort: port };
  }
  const servicePart = (parts[0] ?? '').trim();
  const pieces = servicePart.split('.');
  const portText = (parts[1] ?? '').trim();
  const port = portValue(pod, portText);
  if (pieces.length >= 2 && pieces[1] === 'svc') {
    // Labeled: <svc>.svc, <svc>.svc.<peer>.peer, <svc>.svc.<dc>.dc
    const u: Upstream = { DestinationType: 'service', DestinationName: pieces[0] as string, LocalBindPort: 0 };
    if (pieces.length === 4 && pieces[3] === 'peer' && pieces[2]) u.DestinationPeer = pieces[2];
    else if (pieces.length === 4 && pieces[3] === 'dc' && pieces[2]) u.Datacenter = pieces[2];
    else if (pieces.length !== 2 || !pieces[0]) throw new Error(`upstream structured incorrectly: ${raw}`);
    if (port <= 0) throw new Error(`invalid upstream local bind port "${portText}" in "${raw}"`);
    u.LocalBindPort = port;
    if (parts[2] !== undefined) applyOptions(u, parts[2].trim(), raw);
    return u;
  }
  // Unlabeled: <svc>[.<ns>[.<partition>]]:<port>[:<dc>] (the ns and partition pieces are ENT-only: ignored).
  if (!pieces[0]) throw new Error(`upstream structured incorrectly: ${raw}`);
  if (port <= 0) throw new Error(`invalid upstream local bind port "${portText}" in "${raw}"`);
  const u: Upstream = { DestinationType: 'service', DestinationName: pieces[0], LocalBindPort: port };
  const dc = parts[2]?.trim();
  if (dc) u.Datacenter = dc;
  return u;
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const out = s.split(sep);
  return out.length <= n ? out : [...out.slice(0, n - 1), out.slice(n - 1).join(sep)];
}

/** Parses the whole annotation (comma-separated, trimmed, empty entries skipped); throws on the first bad entry. */
export function parseUpstreams(annotation: string, pod?: PodObj): Upstream[] {
  return annotation
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => parseOne(e, pod));
}
