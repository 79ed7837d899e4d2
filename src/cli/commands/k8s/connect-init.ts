// `isthmus k8s connect-init`: the injected init container (`consul-connect-inject-init`). With managed ACLs it
// logs in with the pod's service-account token; it waits until the pod's service and sidecar proxy are
// registered, writes the proxy ID for the sidecar, then (transparent proxy) applies the redirect rules from
// $CONSUL_REDIRECT_TRAFFIC_CONFIG with the same code as `connect redirect-traffic`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { waitForProxy } from '../../../k8s/inject/connect-init.js';
import type { IsthmusClient } from '../../../sdk/client.js';
import { login, parseLoginMeta } from '../../../sdk/login.js';
import { applyIptablesRules } from '../../../proxy/tproxy/apply.js';
import { buildIptablesRules, type RedirectConfig } from '../../../proxy/tproxy/rules.js';
import { UsageError, type Command } from '../../command.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : []);

/** The redirect config JSON consul-k8s writes (Go field names; null lists). */
function redirectConfig(text: string): RedirectConfig {
  const j = JSON.parse(text) as Record<string, unknown>;
  const arr = (k: string): string[] => (Array.isArray(j[k]) ? (j[k] as unknown[]).map(String) : []);
  return {
    ProxyUserID: String(j.ProxyUserID ?? ''),
    ProxyInboundPort: Number(j.ProxyInboundPort ?? 0),
    ProxyOutboundPort: Number(j.ProxyOutboundPort ?? 0),
    ExcludeInboundPorts: arr('ExcludeInboundPorts'),
    ExcludeOutboundPorts: arr('ExcludeOutboundPorts'),
    ExcludeOutboundCIDRs: arr('ExcludeOutboundCIDRs'),
    ExcludeUIDs: arr('ExcludeUIDs'),
    ...(j.ConsulDNSIP ? { ConsulDNSIP: String(j.ConsulDNSIP) } : {}),
    ...(Number(j.ConsulDNSPort) > 0 ? { ConsulDNSPort: Number(j.ConsulDNSPort) } : {}),
    ...(j.NetNS ? { NetNS: String(j.NetNS) } : {}),
  };
}

export const k8sConnectInitCommand: Command = {
  path: ['k8s', 'connect-init'],
  summary: 'Init container of injected pods: wait for the registration, write the proxy ID, redirect traffic',
  usage: 'isthmus k8s connect-init -pod-name NAME -pod-namespace NS -node-name NODE [-proxy-id-file F] [-service-name SVC] [-login-auth-method M -login-bearer-token-path F [-login-meta k=v]... [-acl-token-sink F]]',
  flags: {
    'pod-name': { type: 'string', doc: 'Name of this pod (required).' },
    'pod-namespace': { type: 'string', doc: 'Namespace of this pod (required).' },
    'node-name': { type: 'string', doc: 'Catalog node the pod is registered on, <k8s-node>-virtual (required; env CONSUL_NODE_NAME).' },
    'service-name': { type: 'string', doc: 'Service of the pod (the connect-service annotation), when set.' },
    'proxy-id-file': { type: 'string', doc: 'Where the proxy ID is written (default /consul/connect-inject/proxyid).' },
    'login-auth-method': { type: 'string', doc: 'Auth method to log in with (managed ACLs).' },
    'login-bearer-token-path': { type: 'string', doc: 'Service-account token file used as the bearer token.' },
    'login-meta': { type: 'string', multiple: true, doc: 'Meta of the login token, key=value. Repeatable.' },
    'acl-token-sink': { type: 'string', doc: 'Where the login token is written (default /consul/connect-inject/acl-token).' },
    'poll-attempts': { type: 'string', doc: 'How many times (1 s apart) the registration is looked for (default 120).' },
  },
  async run({ flags }, ctx) {
    const pod = str(flags['pod-name']);
    const namespace = str(flags['pod-namespace']);
    const node = str(flags['node-name']) ?? str(ctx.env.CONSUL_NODE_NAME);
    if (!pod || !namespace || !node) throw new UsageError('-pod-name, -pod-namespace and -node-name are required');
    const attempts = Number(str(flags['poll-attempts']) ?? 120);
    if (!Number.isInteger(attempts) || attempts < 1) throw new UsageError('-poll-attempts must be a positive integer');
    const proxyIdFile = str(flags['proxy-id-file']) ?? '/consul/connect-inject/proxyid';
    const method = str(flags['login-auth-method']);
    let client: IsthmusClient = ctx.client();
    if (method) {
      // The login token stays in the sink for the pod's lifetime; the endpoints controller deletes it with the pod.
      try {
        const session = await login(client, {
          authMethod: method,
          meta: parseLoginMeta(list(flags['login-meta']), undefined),
          ...(str(flags['login-bearer-token-path']) ? { bearerTokenPath: str(flags['login-bearer-token-path']) as string } : {}),
        });
        client = session.client;
        const sink = str(flags['acl-token-sink']) ?? '/consul/connect-inject/acl-token';
        mkdirSync(dirname(sink), { recursive: true });
        writeFileSync(sink, session.token.SecretID, { mode: 0o600 });
        ctx.out(`Logged in with auth method ${method} (token ${session.token.AccessorID})`);
      } catch (err) {
        ctx.err(`Unable to login: ${(err as Error).message}`);
        return 1;
      }
    }
    let proxyId: string;
    try {
      proxyId = await waitForProxy(client, { node, pod, namespace, ...(str(flags['service-name']) ? { service: str(flags['service-name']) as string } : {}) }, {
        attempts,
        intervalMs: 1000,
        onWait: (n, why) => {
          if (n === 1 || n % 10 === 0) ctx.out(`Unable to find registered services; retrying (${why})`);
        },
      });
    } catch (err) {
      ctx.err((err as Error).message);
      return 1;
    }
    ctx.out(`Registered service has been detected: proxy ${proxyId}`);
    mkdirSync(dirname(proxyIdFile), { recursive: true });
    writeFileSync(proxyIdFile, proxyId);
    const redirect = str(ctx.env.CONSUL_REDIRECT_TRAFFIC_CONFIG);
    if (redirect) {
      try {
        const cfg = redirectConfig(redirect);
        await applyIptablesRules(buildIptablesRules(cfg), cfg.NetNS ? { netns: cfg.NetNS } : {});
      } catch (err) {
        ctx.err(`Error setting up traffic redirection rules: ${(err as Error).message}`);
        return 1;
      }
      ctx.out('Successfully applied traffic redirection rules');
    }
    ctx.out('Connect initialization completed');
    return 0;
  },
};
