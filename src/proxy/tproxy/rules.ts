// Pure: the iptables (nat table) rules of `connect redirect-traffic`, as argv lists, in Consul's issue
// order (dataplane-l7-auth.md §2), and the configuration derived from a proxy registration.

export const DEFAULT_OUTBOUND_PORT = 15001;

export const CHAINS = {
  inbound: 'CONSUL_PROXY_INBOUND',
  inRedirect: 'CONSUL_PROXY_IN_REDIRECT',
  output: 'CONSUL_PROXY_OUTPUT',
  redirect: 'CONSUL_PROXY_REDIRECT',
  dns: 'CONSUL_DNS_REDIRECT',
} as const;

export interface RedirectConfig {
  ProxyUserID: string;
  ProxyInboundPort: number;
  ProxyOutboundPort: number;
  ExcludeInboundPorts: string[];
  ExcludeOutboundPorts: string[];
  ExcludeOutboundCIDRs: string[];
  ExcludeUIDs: string[];
  ConsulDNSIP?: string;
  ConsulDNSPort?: number;
  /** Network namespace path the rules go into (e.g. /var/run/netns/foo). */
  NetNS?: string;
}

export class RedirectError extends Error {}

/** Every rule, each as the arguments after `iptables` (all in the nat table). */
export function buildIptablesRules(cfg: RedirectConfig): string[][] {
  if (!cfg.ProxyUserID) throw new RedirectError('ProxyUserID is required to set up traffic redirection');
  if (!cfg.ProxyInboundPort) throw new RedirectError('ProxyInboundPort is required to set up traffic redirection');
  const outbound = cfg.ProxyOutboundPort || DEFAULT_OUTBOUND_PORT;
  const nat = (...args: string[]): string[] => ['-t', 'nat', ...args];
  const rules: string[][] = [];
  for (const c of [CHAINS.inbound, CHAINS.inRedirect, CHAINS.output, CHAINS.redirect, CHAINS.dns]) rules.push(nat('-N', c));
  rules.push(nat('-A', CHAINS.redirect, '-p', 'tcp', '-j', 'REDIRECT', '--to-port', String(outbound)));
  if (cfg.ConsulDNSIP || cfg.ConsulDNSPort) {
    const ip = cfg.ConsulDNSIP || '127.0.0.1';
    for (const proto of ['udp', 'tcp']) {
      if (cfg.ConsulDNSPort) {
        rules.push(nat('-A', CHAINS.dns, '-p', proto, '-d', ip, '--dport', '53', '-j', 'DNAT', '--to-destination', `${ip}:${cfg.ConsulDNSPort}`));
      } else {
        rules.push(nat('-A', CHAINS.dns, '-p', proto, '--dport', '53', '-j', 'DNAT', '--to-destination', ip));
      }
    }
    for (const proto of ['udp', 'tcp']) {
      rules.push(cfg.ConsulDNSPort ? nat('-A', 'OUTPUT', '-p', proto, '-d', ip, '--dport', '53', '-j', CHAINS.dns) : nat('-A', 'OUTPUT', '-p', proto, '--dport', '53', '-j', CHAINS.dns));
    }
  }
  rules.push(nat('-A', 'OUTPUT', '-p', 'tcp', '-j', CHAINS.output));
  rules.push(nat('-A', CHAINS.output, '-m', 'owner', '--uid-owner', cfg.ProxyUserID, '-j', 'RETURN'));
  rules.push(nat('-A', CHAINS.output, '-d', '127.0.0.1/32', '-j', 'RETURN'));
  rules.push(nat('-A', CHAINS.output, '-j', CHAINS.redirect));
  for (const p of cfg.ExcludeOutboundPorts) rules.push(nat('-I', CHAINS.output, '-p', 'tcp', '--dport', p, '-j', 'RETURN'));
  for (const c of cfg.ExcludeOutboundCIDRs) rules.push(nat('-I', CHAINS.output, '-d', c, '-j', 'RETURN'));
  for (const u of cfg.ExcludeUIDs) rules.push(nat('-I', CHAINS.output, '-m', 'owner', '--uid-owner', u, '-j', 'RETURN'));
  rules.push(nat('-A', CHAINS.inRedirect, '-p', 'tcp', '-j', 'REDIRECT', '--to-port', String(cfg.ProxyInboundPort)));
  rules.push(nat('-A', 'PREROUTING', '-p', 'tcp', '-j', CHAINS.inbound));
  rules.push(nat('-A', CHAINS.inbound, '-p', 'tcp', '-j', CHAINS.inRedirect));
  for (const p of cfg.ExcludeInboundPorts) rules.push(nat('-I', CHAINS.inbound, '-p', 'tcp', '--dport', p, '-j', 'RETURN'));
  return rules;
}

/** The proxy registration fields `-proxy-id` reads. */
export interface ProxyRegistration {
  ID: string;
  Kind?: string;
  Port?: number;
  Proxy?: {
    Config?: Record<string, unknown>;
    TransparentProxy?: { OutboundListenerPort?: number };
    Expose?: { Checks?: boolean; Paths?: { ListenerPort?: number }[] };
  };
}

function portOf(addr: unknown): string | undefined {
  if (typeof addr !== 'string') return undefined;
  const p = addr.slice(addr.lastIndexOf(':') + 1);
  return /^\d+$/.test(p) ? p : undefined;
}

/**
 * Ports from a proxy registration (§2): inbound = `Port` or `Proxy.Config.bind_port`, outbound =
 * `TransparentProxy.OutboundListenerPort` or 15001; metrics/stats bind ports and expose paths are
 * excluded from inbound redirection.
 */
export function configFromProxy(svc: ProxyRegistration): Pick<RedirectConfig, 'ProxyInboundPort' | 'ProxyOutboundPort' | 'ExcludeInboundPorts'> {
  if (svc.Kind !== 'connect-proxy') throw new RedirectError(`service ${svc.ID} is not a proxy service`);
  const config = svc.Proxy?.Config ?? {};
  const bindPort = Number(config.bind_port ?? 0);
  const inbound = svc.Port || (Number.isInteger(bindPort) ? bindPort : 0);
  const outbound = svc.Proxy?.TransparentProxy?.OutboundListenerPort || DEFAULT_OUTBOUND_PORT;
  const exclude: string[] = [];
  for (const k of ['envoy_prometheus_bind_addr', 'envoy_stats_bind_addr']) {
    const p = portOf(config[k]);
    if (p) exclude.push(p);
  }
  for (const path of svc.Proxy?.Expose?.Paths ?? []) if (path.ListenerPort) exclude.push(String(path.ListenerPort));
  return { ProxyInboundPort: inbound, ProxyOutboundPort: outbound, ExcludeInboundPorts: exclude };
}

/** iptables-save style text of the rules (for logs and reports). */
export function formatRules(rules: string[][]): string {
  return rules.map((r) => `iptables ${r.join(' ')}`).join('\n');
}
