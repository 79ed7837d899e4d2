// Pure rules for Connect proxies: upstream validation (Consul's texts) and the service a
// `Connect.SidecarService` block expands to (spec consul-api §6).
import { invalid } from '../../lib/errors.js';
import { MESH_GATEWAY_MODES } from '../config-entries/validate.js';
import type { AgentServiceInput, ProxyInput, UpstreamInput } from './schema.js';

/** Consul's sidecar_min_port / sidecar_max_port. */
export const SIDECAR_MIN_PORT = 21000;
export const SIDECAR_MAX_PORT = 21255;
const GATEWAY_KINDS = new Set(['mesh-gateway', 'terminating-gateway', 'ingress-gateway', 'api-gateway']);

function fail(why: string): never {
  throw invalid(`Validation failed: 1 error occurred:\n\t* ${why}\n\n`);
}

/** Upstream.Validate of Consul, plus the peering rules of spec §7.5. */
export function validateUpstreams(upstreams: UpstreamInput[], transparent = false): void {
  const seen = new Set<string>();
  const binds = new Set<string>();
  for (const u of upstreams) {
    const type = u.DestinationType || 'service';
    if (type !== 'service' && type !== 'prepared_query') fail(`unknown upstream destination type: "${type}"`);
    if (!u.DestinationName) fail('upstream destination name cannot be empty');
    if (u.DestinationName === '*') fail('upstream destination name cannot be a wildcard');
    if (u.DestinationPeer && u.Datacenter) fail('upstream cannot specify both destination peer and datacenter');
    const hasPort = (u.LocalBindPort ?? 0) > 0;
    const hasSocket = !!u.LocalBindSocketPath;
    // Transparent proxies may leave an upstream without a listener of its own (it rides the outbound listener).
    if (!hasPort && !hasSocket && !transparent) fail('upstream local bind port or local socket path must be defined and nonzero');
    if (hasPort && hasSocket) fail('only one of upstream local bind port or local socket path can be defined and nonzero');
    const mode = u.MeshGateway?.Mode ?? '';
    if (!MESH_GATEWAY_MODES.includes(mode)) fail(`Invalid Mesh Gateway Mode: "${mode}"`);
    if (u.DestinationPeer && mode === 'none') fail(`upstream "${u.DestinationName}" from peer "${u.DestinationPeer}" cannot use mesh gateway mode "none": peered upstreams go through mesh gateways ("remote" or "local")`);
    const key = `[type="${type}", name="${u.DestinationName}", partition="${u.DestinationPartition ?? ''}", namespace="${u.DestinationNamespace ?? ''}", peer="${u.DestinationPeer ?? ''}", datacenter="${u.Datacenter ?? ''}"]`;
    if (seen.has(key)) fail(`upstreams cannot contain duplicates of ${key}`);
    seen.add(key);
    if (!hasPort && !hasSocket) continue;
    const bind = hasPort ? `${u.LocalBindAddress || '127.0.0.1'}:${u.LocalBindPort}` : (u.LocalBindSocketPath as string);
    if (binds.has(bind)) fail(`upstreams cannot contain duplicates by local bind address and port or unix path; "${bind}" is specified twice`);
    binds.add(bind);
  }
}

/** Checks a connect-proxy registration's Proxy block. */
export function validateProxy(kind: string, port: number, proxy: ProxyInput | undefined): void {
  if (kind === 'connect-proxy') {
    if (!proxy?.DestinationServiceName) throw invalid('Proxy.DestinationServiceName must be non-empty for Connect proxy services');
    if (port <= 0) throw invalid('Port or SocketPath must be set for a connect-proxy');
  }
  if (GATEWAY_KINDS.has(kind) && port <= 0) throw invalid(`Port must be non-zero for a ${kind}`);
  const mode = proxy?.MeshGateway?.Mode ?? '';
  if (!MESH_GATEWAY_MODES.includes(mode)) throw invalid(`Invalid Mesh Gateway Mode: "${mode}"`);
  validateProxyMode(proxy?.Mode, proxy?.TransparentProxy);
  validateUpstreams(proxy?.Upstreams ?? [], proxy?.Mode === 'transparent');
}

export const PROXY_MODES = ['', 'transparent', 'direct'];

/** `Mode` and `TransparentProxy` of a registration, service-defaults or proxy-defaults (spec §2). */
export function validateProxyMode(mode: unknown, tp: unknown): void {
  const m = typeof mode === 'string' ? mode : '';
  if (!PROXY_MODES.includes(m)) throw invalid(`Invalid Proxy Mode: "${m}"`);
  if (tp === undefined || tp === null) return;
  const t = tp as { OutboundListenerPort?: unknown; DialedDirectly?: unknown };
  if (typeof tp !== 'object' || Array.isArray(tp)) throw invalid('Request decode failed: json: cannot unmarshal into Go struct field ConnectProxyConfig.TransparentProxy of type structs.TransparentProxyConfig');
  const port = t.OutboundListenerPort;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) throw invalid(`Invalid TransparentProxy.OutboundListenerPort: ${JSON.stringify(port)}`);
  if (t.DialedDirectly !== undefined && typeof t.DialedDirectly !== 'boolean') throw invalid(`Invalid TransparentProxy.DialedDirectly: ${JSON.stringify(t.DialedDirectly)}`);
}

/** Normalizes upstream defaults (LocalBindAddress 127.0.0.1, DestinationType service). */
export function normalizeProxy(proxy: ProxyInput): ProxyInput {
  return {
    ...proxy,
    Upstreams: (proxy.Upstreams ?? []).map((u) => ({ ...u, DestinationType: u.DestinationType || 'service', LocalBindAddress: u.LocalBindAddress || '127.0.0.1' })),
    MeshGateway: proxy.MeshGateway ?? {},
  };
}

export interface SidecarContext {
  /** Ports already used by sidecars on this agent, by sidecar ID. */
  usedPorts: Map<string, number>;
}

/** Expands `Connect.SidecarService` into the sidecar's own registration (Consul's defaults). */
export function sidecarFor(parent: AgentServiceInput, ctx: SidecarContext): AgentServiceInput {
  const sc = parent.Connect?.SidecarService as AgentServiceInput;
  const parentId = parent.ID || (parent.Name as string);
  if (sc.ID) throw invalid('A SidecarService cannot specify an ID as this is managed by the agent');
  if ((sc.Connect as { SidecarService?: unknown } | undefined)?.SidecarService !== undefined) throw invalid('A SidecarService cannot have a nested SidecarService');
  if (parent.Kind && GATEWAY_KINDS.has(parent.Kind)) throw invalid(`A ${parent.Kind} cannot have a sidecar service defined`);
  const id = `${parentId}-sidecar-proxy`;
  let port = sc.Port ?? 0;
  if (port < 1) {
    const existing = ctx.usedPorts.get(id);
    if (existing) port = existing;
    else {
      const taken = new Set([...ctx.usedPorts.entries()].filter(([k]) => k !== id).map(([, p]) => p));
      for (let p = SIDECAR_MIN_PORT; p <= SIDECAR_MAX_PORT; p++) {
        if (!taken.has(p)) {
          port = p;
          break;
        }
      }
      if (port < 1) throw invalid(`Invalid SidecarService: no port provided for sidecar_service and none left in the configured range [${SIDECAR_MIN_PORT}, ${SIDECAR_MAX_PORT}]`);
    }
  }
  const proxy: ProxyInput = normalizeProxy({
    ...(sc.Proxy ?? {}),
    DestinationServiceName: parent.Name as string,
    DestinationServiceID: parentId,
    LocalServiceAddress: sc.Proxy?.LocalServiceAddress || '127.0.0.1',
    LocalServicePort: sc.Proxy?.LocalServicePort || parent.Port || 0,
  });
  const address = sc.Address || parent.Address || '';
  const checks = sc.Check || (sc.Checks && sc.Checks.length > 0)
    ? { ...(sc.Check ? { Check: sc.Check } : {}), ...(sc.Checks ? { Checks: sc.Checks } : {}) }
    : { Checks: [{ Name: 'Connect Sidecar Listening', CheckID: `service:${id}:1`, TCP: `${address || proxy.LocalServiceAddress}:${port}`, Interval: 10_000 }] };
  return {
    Kind: sc.Kind || 'connect-proxy',
    ID: id,
    Name: sc.Name || `${parent.Name}-sidecar-proxy`,
    Tags: sc.Tags ?? parent.Tags ?? [],
    Meta: sc.Meta ?? parent.Meta ?? {},
    Port: port,
    ...(address ? { Address: address } : {}),
    Proxy: proxy,
    ...checks,
  };
}
