// Pure: `consul.hashicorp.com/connect-service-upstreams` as consul-k8s reads it (kubernetes.md §6.1, CE:
// namespaces and partitions off), with its error texts, and the upstream env vars of app containers.
import { AnnotationError } from './annotations.js';

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

/** Named container ports of the pod (name → number), for `<svc>:<port-name>`. */
export type NamedPorts = Record<string, number>;

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

function bindPort(raw: string, text: string | undefined, named: NamedPorts): number {
  const p = (text ?? '').trim();
  const n = /^\d+$/.test(p) ? Number(p) : (named[p] ?? 0);
  if (!(n > 0 && n <= 65535)) throw new AnnotationError(`invalid upstream local bind port ${JSON.stringify(p)} in ${JSON.stringify(raw)}`);
  return n;
}

/** The third `:` segment of the labeled form (v2.0.x): a bare destination port, or query-string options. */
function applyOptions(u: Upstream, raw: string, third: string): void {
  if (!/[=&?]/.test(third)) {
    const n = Number(third);
    if (!/^\d+$/.test(third) || n <= 0 || n > 65535) throw new AnnotationError(`unsupported upstream option ${JSON.stringify(third)} in ${JSON.stringify(raw)}`);
    u.DestinationPort = n;
    return;
  }
  for (const pair of third.replace(/^\?/, '').split(/[&;]/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1));
    const kind = Object.prototype.hasOwnProperty.call(OPTION_KEYS, key) ? OPTION_KEYS[key] : undefined;
    if (kind === 'port') {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n <= 0 || n > 65535) throw new AnnotationError(`invalid upstream destination port ${JSON.stringify(value)} in ${JSON.stringify(raw)}`);
      u.DestinationPort = n;
    } else if (kind === 'address') u.LocalBindAddress = value;
    else if (kind === 'mode') {
      if (!['none', 'local', 'remote'].includes(value)) throw new AnnotationError(`invalid upstream mesh gateway mode ${JSON.stringify(value)} in ${JSON.stringify(raw)}`);
      u.MeshGateway = { Mode: value };
    } else if (kind === 'dc') u.Datacenter = value;
    else throw new AnnotationError(`unsupported upstream option ${JSON.stringify(key)} in ${JSON.stringify(raw)}`);
  }
}

function parseOne(raw: string, named: NamedPorts): Upstream {
  if (raw.startsWith('prepared_query:')) {
    const [, name, port] = raw.split(':');
    if (!name) throw new AnnotationError(`upstream structured incorrectly: ${raw}`);
    return { DestinationType: 'prepared_query', DestinationName: name, LocalBindPort: bindPort(raw, port, named) };
  }
  const colon1 = raw.indexOf(':');
  const colon2 = colon1 < 0 ? -1 : raw.indexOf(':', colon1 + 1);
  const servicePart = (colon1 < 0 ? raw : raw.slice(0, colon1)).trim();
  const portPart = colon1 < 0 ? undefined : colon2 < 0 ? raw.slice(colon1 + 1) : raw.slice(colon1 + 1, colon2);
  const third = colon2 < 0 ? undefined : raw.slice(colon2 + 1).trim();
  const pieces = servicePart.split('.');
  if (pieces[1] === 'svc') {
    // Labeled: <svc>.svc, <svc>.svc.<peer>.peer, <svc>.svc.<dc>.dc (CE).
    const name = pieces[0] as string;
    let u: Upstream;
    if (pieces.length === 2 && name) u = { DestinationType: 'service', DestinationName: name, LocalBindPort: 0 };
    else if (pieces.length === 4 && name && pieces[2] && pieces[3] === 'peer') u = { DestinationType: 'service', DestinationName: name, DestinationPeer: pieces[2], LocalBindPort: 0 };
    else if (pieces.length === 4 && name && pieces[2] && pieces[3] === 'dc') u = { DestinationType: 'service', DestinationName: name, Datacenter: pieces[2], LocalBindPort: 0 };
    else throw new AnnotationError(`upstream structured incorrectly: ${raw}`);
    u.LocalBindPort = bindPort(raw, portPart, named);
    if (third) applyOptions(u, raw, third);
    return u;
  }
  // Unlabeled: <svc>[.<ns>[.<partition>]]:<port>[:<dc>] (the ns and partition pieces matter only in ENT).
  const name = pieces[0] as string;
  if (!name || pieces.length > 3 || pieces.some((p) => p === '')) throw new AnnotationError(`upstream structured incorrectly: ${raw}`);
  const u: Upstream = { DestinationType: 'service', DestinationName: name, LocalBindPort: bindPort(raw, portPart, named) };
  if (third) u.Datacenter = third;
  return u;
}

/** Every upstream of the annotation, in order; the first bad entry is refused with consul-k8s's text. */
export function parseUpstreams(annotation: string | undefined, named: NamedPorts = {}): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of (annotation ?? '').split(',').map((s) => s.trim())) {
    if (raw === '') continue;
    out.push(parseOne(raw, named));
  }
  return out;
}

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
