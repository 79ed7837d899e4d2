// Consul's HTTP API paths (CE, from agent/http_register.go), so a request to one Isthmus lacks gets
// an answer that says so (501) instead of the "not a recognized endpoint" 404 meant for typos.
// Entries ending in '/' are prefixes (the path continues with a name); the others are exact.
const CONSUL_PATHS: readonly string[] = [
  // ACL
  '/v1/acl/bootstrap', '/v1/acl/replication', '/v1/acl/policies', '/v1/acl/policy', '/v1/acl/policy/',
  '/v1/acl/roles', '/v1/acl/role', '/v1/acl/role/', '/v1/acl/binding-rules', '/v1/acl/binding-rule', '/v1/acl/binding-rule/',
  '/v1/acl/auth-methods', '/v1/acl/auth-method', '/v1/acl/auth-method/', '/v1/acl/login', '/v1/acl/logout', '/v1/acl/authorize',
  '/v1/acl/templated-policies', '/v1/acl/templated-policy/', '/v1/acl/tokens', '/v1/acl/token', '/v1/acl/token/',
  '/v1/acl/oidc/auth-url', '/v1/acl/oidc/callback', '/v1/acl/create', '/v1/acl/update', '/v1/acl/destroy/', '/v1/acl/info/',
  '/v1/acl/clone/', '/v1/acl/list', '/v1/acl/rules/translate', '/v1/acl/rules/translate/',
  // agent
  '/v1/agent/self', '/v1/agent/host', '/v1/agent/version', '/v1/agent/maintenance', '/v1/agent/reload', '/v1/agent/monitor',
  '/v1/agent/metrics', '/v1/agent/metrics/stream', '/v1/agent/services', '/v1/agent/service/', '/v1/agent/checks',
  '/v1/agent/members', '/v1/agent/join/', '/v1/agent/leave', '/v1/agent/force-leave/', '/v1/agent/health/service/id/',
  '/v1/agent/health/service/name/', '/v1/agent/check/', '/v1/agent/connect/authorize', '/v1/agent/connect/ca/roots',
  '/v1/agent/connect/ca/leaf/', '/v1/agent/token/', '/v1/agent/keyring/',
  // catalog, health, coordinates
  '/v1/catalog/register', '/v1/catalog/deregister', '/v1/catalog/datacenters', '/v1/catalog/nodes', '/v1/catalog/services',
  '/v1/catalog/service/', '/v1/catalog/connect/', '/v1/catalog/node/', '/v1/catalog/node-services/', '/v1/catalog/gateway-services/',
  '/v1/health/node/', '/v1/health/checks/', '/v1/health/state/', '/v1/health/service/', '/v1/health/connect/', '/v1/health/ingress/',
  '/v1/coordinate/datacenters', '/v1/coordinate/nodes', '/v1/coordinate/node/', '/v1/coordinate/update',
  // config, connect, discovery chain
  '/v1/config', '/v1/config/', '/v1/connect/ca/configuration', '/v1/connect/ca/roots', '/v1/connect/intentions',
  '/v1/connect/intentions/', '/v1/discovery-chain/',
  // events, KV, sessions, transactions, prepared queries, snapshots
  '/v1/event/fire/', '/v1/event/list', '/v1/kv/', '/v1/txn', '/v1/session/create', '/v1/session/destroy/', '/v1/session/renew/',
  '/v1/session/info/', '/v1/session/node/', '/v1/session/list', '/v1/query', '/v1/query/', '/v1/snapshot',
  // operator, status
  '/v1/operator/raft/configuration', '/v1/operator/raft/peer', '/v1/operator/raft/transfer-leader', '/v1/operator/keyring',
  '/v1/operator/autopilot/configuration', '/v1/operator/autopilot/health', '/v1/operator/autopilot/state', '/v1/operator/usage',
  '/v1/operator/utilization', '/v1/status/leader', '/v1/status/peers',
  // peering, exports, internal (UI and federation)
  '/v1/peering/token', '/v1/peering/establish', '/v1/peering/', '/v1/peerings', '/v1/exported-services', '/v1/imported-services',
  '/v1/internal/ui/nodes', '/v1/internal/ui/node/', '/v1/internal/ui/services', '/v1/internal/ui/exported-services',
  '/v1/internal/ui/catalog-overview', '/v1/internal/ui/gateway-services-nodes/', '/v1/internal/ui/gateway-intentions/',
  '/v1/internal/ui/service-topology/', '/v1/internal/ui/metrics-proxy/', '/v1/internal/acl/authorize',
  '/v1/internal/service-virtual-ip', '/v1/internal/peering/trust-bundles', '/v1/internal/peering/trust-bundle/',
  '/v1/internal/federation-states', '/v1/internal/federation-states/mesh-gateways', '/v1/internal/federation-state/',
];

const EXACT = new Set(CONSUL_PATHS.filter((p) => !p.endsWith('/')));
const PREFIXES = CONSUL_PATHS.filter((p) => p.endsWith('/'));

/**
 * The Consul endpoint entry `path` falls under when Isthmus serves none of that family (no route
 * equal to an exact entry or under a prefix entry); undefined for typos and for families Isthmus
 * implements (where a miss is a bad path, answered with the usual 404).
 */
export function unimplementedConsulEndpoint(path: string, routePaths: readonly string[]): string | undefined {
  const entry = EXACT.has(path) ? path : PREFIXES.find((p) => path.startsWith(p));
  if (entry === undefined) return undefined;
  const served = entry.endsWith('/') ? routePaths.some((r) => r.startsWith(entry)) : routePaths.includes(entry);
  return served ? undefined : entry;
}

/** The 501 body for a Consul endpoint Isthmus does not serve. */
export function notImplementedText(method: string, path: string): string {
  return `Not implemented in Isthmus: ${method} ${path}\n`;
}
