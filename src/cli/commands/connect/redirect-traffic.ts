// `isthmus connect redirect-traffic`: installs the transparent-proxy iptables rules (Consul's command,
// flags and texts; dataplane-l7-auth.md §2). Rules are built purely (proxy/tproxy/rules.ts), then applied.
import { ApiError } from '../../../sdk/client.js';
import { applyIptablesRules } from '../../../proxy/tproxy/apply.js';
import { buildIptablesRules, configFromProxy, DEFAULT_OUTBOUND_PORT, RedirectError, type ProxyRegistration, type RedirectConfig } from '../../../proxy/tproxy/rules.js';
import type { Command } from '../../command.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

export const connectRedirectTrafficCommand: Command = {
  path: ['connect', 'redirect-traffic'],
  summary: 'Install iptables rules that send a host’s traffic through its transparent proxy',
  usage: 'isthmus connect redirect-traffic -proxy-uid UID (-proxy-id ID [-node-name NODE] | -proxy-inbound-port P [-proxy-outbound-port P]) [exclusions] [-netns PATH]',
  flags: {
    'proxy-id': { type: 'string', doc: 'ID of the proxy service; its ports are read from its registration.' },
    'node-name': { type: 'string', doc: 'Node of the proxy (agentless: read from the catalog).' },
    'proxy-uid': { type: 'string', doc: 'User ID the proxy runs as; its traffic is not redirected (required).' },
    'proxy-inbound-port': { type: 'string', doc: 'Inbound port of the proxy.' },
    'proxy-outbound-port': { type: 'string', doc: `Outbound port of the proxy (default ${DEFAULT_OUTBOUND_PORT}).` },
    'exclude-inbound-port': { type: 'string', multiple: true, doc: 'Inbound port (or range a:b) not redirected. Repeatable.' },
    'exclude-outbound-port': { type: 'string', multiple: true, doc: 'Outbound port (or range a:b) not redirected. Repeatable.' },
    'exclude-outbound-cidr': { type: 'string', multiple: true, doc: 'Outbound CIDR not redirected. Repeatable.' },
    'exclude-uid': { type: 'string', multiple: true, doc: 'Additional user ID whose traffic is not redirected. Repeatable.' },
    netns: { type: 'string', doc: 'Network namespace path to apply the rules in (e.g. /var/run/netns/foo).' },
    'consul-dns-ip': { type: 'string', doc: 'IP of the DNS server to redirect port-53 traffic to.' },
    'consul-dns-port': { type: 'string', doc: 'Port of the DNS server to redirect port-53 traffic to.' },
  },
  async run({ flags }, ctx) {
    const uid = flags['proxy-uid'];
    if (typeof uid !== 'string' || uid === '') {
      ctx.err('-proxy-uid is required');
      return 1;
    }
    const proxyId = typeof flags['proxy-id'] === 'string' ? flags['proxy-id'] : '';
    const inPort = typeof flags['proxy-inbound-port'] === 'string' ? flags['proxy-inbound-port'] : '';
    const outPort = typeof flags['proxy-outbound-port'] === 'string' ? flags['proxy-outbound-port'] : '';
    if (!proxyId && !inPort) {
      ctx.err('either -proxy-id or -proxy-inbound-port are required');
      return 1;
    }
    if (proxyId && (inPort || outPort)) {
      ctx.err("-proxy-inbound-port or -proxy-outbound-port cannot be provided together with -proxy-id. Proxy's inbound and outbound ports are retrieved from the proxy's configuration instead.");
      return 1;
    }
    const cfg: RedirectConfig = {
      ProxyUserID: uid,
      ProxyInboundPort: Number(inPort || 0),
      ProxyOutboundPort: Number(outPort || DEFAULT_OUTBOUND_PORT),
      ExcludeInboundPorts: list(flags['exclude-inbound-port']),
      ExcludeOutboundPorts: list(flags['exclude-outbound-port']),
      ExcludeOutboundCIDRs: list(flags['exclude-outbound-cidr']),
      ExcludeUIDs: list(flags['exclude-uid']),
      ...(typeof flags['consul-dns-ip'] === 'string' ? { ConsulDNSIP: flags['consul-dns-ip'] } : {}),
      ...(typeof flags['consul-dns-port'] === 'string' ? { ConsulDNSPort: Number(flags['consul-dns-port']) } : {}),
      ...(typeof flags.netns === 'string' ? { NetNS: flags.netns } : {}),
    };
    for (const [name, v] of [['proxy-inbound-port', inPort], ['proxy-outbound-port', outPort]] as const) {
      if (v && !(/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536)) {
        ctx.err(`Failed to create configuration to apply traffic redirection rules: invalid -${name} "${v}"`);
        return 1;
      }
    }
    if (proxyId) {
      try {
        const svc = await fetchProxy(ctx.client(), proxyId, typeof flags['node-name'] === 'string' ? flags['node-name'] : '');
        const fromProxy = configFromProxy(svc);
        cfg.ProxyInboundPort = fromProxy.ProxyInboundPort;
        cfg.ProxyOutboundPort = fromProxy.ProxyOutboundPort;
        cfg.ExcludeInboundPorts.push(...fromProxy.ExcludeInboundPorts);
      } catch (err) {
        ctx.err(`Failed to create configuration to apply traffic redirection rules: ${(err as Error).message}`);
        return 1;
      }
    }
    try {
      const rules = buildIptablesRules(cfg);
      await applyIptablesRules(rules, cfg.NetNS ? { netns: cfg.NetNS } : {});
    } catch (err) {
      ctx.err(`Error setting up traffic redirection rules: ${(err as Error).message}`);
      return 1;
    }
    ctx.out('Successfully applied traffic redirection rules');
    return 0;
  },
};

async function fetchProxy(client: ReturnType<Parameters<Command['run']>[1]['client']>, id: string, node: string): Promise<ProxyRegistration> {
  try {
    if (node) {
      const r = await client.request<{ Services: ProxyRegistration[] } | null>('GET', `/v1/catalog/node-services/${encodeURIComponent(node)}`, { query: { filter: `ID == "${id}"` } });
      const svc = r?.Services?.[0];
      if (!svc) throw new RedirectError(`proxy service with ID "${id}" not found`);
      return svc;
    }
    return await client.agentService(id);
  } catch (err) {
    if (err instanceof RedirectError) throw err;
    if (err instanceof ApiError && err.status === 404) throw new RedirectError(`proxy service with ID "${id}" not found`);
    throw new RedirectError(`failed to fetch proxy service from Consul Agent: ${(err as Error).message}`);
  }
}
