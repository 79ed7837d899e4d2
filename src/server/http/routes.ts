// THE route table: every HTTP endpoint, its handler and the ACL permission it requires, in one place.
import type { Handler, HttpRequest } from './request.js';

import type { AclAccess, AclResourceName } from '../acl/authorizer.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * The permission an endpoint needs. `name` derives the resource segment from the request
 * (e.g. the service name); `none` marks endpoints Consul leaves open; `filtered` marks lists that
 * drop what the token cannot see instead of refusing; `peerAware` marks reads that honour `?peer=`;
 * `handler` marks endpoints whose permission depends on the body (the handler enforces `example`).
 */
export type AclRequirement =
  | { resource: AclResourceName; access: AclAccess; name?: (req: HttpRequest) => string; filtered?: true; peerAware?: true }
  | { none: true }
  | { handler: true; example: { resource: AclResourceName; access: AclAccess } };

export interface Route {
  method: HttpMethod;
  path: string;
  handler: Handler;
  acl: AclRequirement;
}

export interface RouteHandlers {
  catalog: Record<string, Handler>;
  health: Record<string, Handler>;
  agent: Record<string, Handler>;
  acl: Record<string, Handler>;
  config: Record<string, Handler>;
  ca: Record<string, Handler>;
  intentions: Record<string, Handler>;
  peering: Record<string, Handler>;
  connect: Record<string, Handler>;
  metrics: Handler;
  kv: Record<string, Handler>;
  importedServices: Handler;
  /** The web UI: `root` always; `ui` and `asset` only when the UI is enabled. */
  ui?: Record<string, Handler>;
  /** Virtual IPs and discovery chains (discovery-chain/http.ts). */
  traffic: Record<string, Handler>;
}

const param = (name: string) => (req: HttpRequest) => req.params[name] ?? '';
const NONE: AclRequirement = { none: true };
/** Permission checked inside the handler (it depends on the body or a lookup); `example` is what the ACL walk test grants. */
const inHandler = (resource: AclResourceName, access: AclAccess): AclRequirement => ({ handler: true, example: { resource, access } });
const ACL_READ: AclRequirement = { resource: 'acl', access: 'read' };
const ACL_WRITE: AclRequirement = { resource: 'acl', access: 'write' };

function pick(handlers: Record<string, Handler>, name: string): Handler {
  const h = handlers[name];
  if (!h) throw new Error(`route table names a missing handler "${name}"`);
  return h;
}

export function buildRoutes(h: RouteHandlers, agentName: string): Route[] {
  const c = (n: string): Handler => pick(h.catalog, n);
  const he = (n: string): Handler => pick(h.health, n);
  const a = (n: string): Handler => pick(h.agent, n);
  const acl = (n: string): Handler => pick(h.acl, n);
  const cfg = (n: string): Handler => pick(h.config, n);
  const ca = (n: string): Handler => pick(h.ca, n);
  const ixn = (n: string): Handler => pick(h.intentions, n);
  const pr = (n: string): Handler => pick(h.peering, n);
  const PEERING_READ: AclRequirement = { resource: 'peering', access: 'read' };
  const PEERING_WRITE: AclRequirement = { resource: 'peering', access: 'write' };
  return [
    // catalog
    { method: 'PUT', path: '/v1/catalog/register', handler: c('register'), acl: inHandler('node', 'write') },
    { method: 'PUT', path: '/v1/catalog/deregister', handler: c('deregister'), acl: inHandler('node', 'write') },
    { method: 'GET', path: '/v1/catalog/datacenters', handler: c('datacenters'), acl: NONE },
    { method: 'GET', path: '/v1/catalog/nodes', handler: c('nodes'), acl: { resource: 'node', access: 'read', filtered: true, peerAware: true } },
    { method: 'GET', path: '/v1/catalog/services', handler: c('services'), acl: { resource: 'service', access: 'read', filtered: true, peerAware: true } },
    { method: 'GET', path: '/v1/catalog/service/:name', handler: c('service'), acl: { resource: 'service', access: 'read', name: param('name'), peerAware: true } },
    { method: 'GET', path: '/v1/catalog/node/:node', handler: c('node'), acl: { resource: 'node', access: 'read', name: param('node'), peerAware: true } },
    { method: 'GET', path: '/v1/catalog/node-services/:node', handler: c('nodeServices'), acl: { resource: 'node', access: 'read', name: param('node'), peerAware: true } },
    // health
    { method: 'GET', path: '/v1/health/service/:name', handler: he('service'), acl: { resource: 'service', access: 'read', name: param('name'), peerAware: true } },
    { method: 'GET', path: '/v1/health/checks/:name', handler: he('checks'), acl: { resource: 'service', access: 'read', name: param('name'), peerAware: true } },
    { method: 'GET', path: '/v1/health/node/:node', handler: he('node'), acl: { resource: 'node', access: 'read', name: param('node'), peerAware: true } },
    { method: 'GET', path: '/v1/health/state/:state', handler: he('state'), acl: { resource: 'node', access: 'read', filtered: true, peerAware: true } },
    // agent
    { method: 'PUT', path: '/v1/agent/service/register', handler: a('registerService'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/service/deregister/:id', handler: a('deregisterService'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/service/maintenance/:id', handler: a('serviceMaintenance'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/maintenance', handler: a('nodeMaintenance'), acl: inHandler('node', 'write') },
    { method: 'GET', path: '/v1/agent/services', handler: a('services'), acl: { resource: 'service', access: 'read', filtered: true } },
    { method: 'GET', path: '/v1/agent/service/:id', handler: a('service'), acl: inHandler('service', 'read') },
    { method: 'PUT', path: '/v1/agent/check/register', handler: a('registerCheck'), acl: inHandler('node', 'write') },
    { method: 'PUT', path: '/v1/agent/check/deregister/:id', handler: a('deregisterCheck'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/check/pass/:id', handler: a('pass'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/check/warn/:id', handler: a('warn'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/check/fail/:id', handler: a('fail'), acl: inHandler('service', 'write') },
    { method: 'PUT', path: '/v1/agent/check/update/:id', handler: a('updateCheck'), acl: inHandler('service', 'write') },
    // Consul before 1.0 took GET on these writes, and clients of that era (Debian's python3-consul 0.7.1) still send it.
    { method: 'GET', path: '/v1/agent/service/deregister/:id', handler: a('deregisterService'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/agent/check/deregister/:id', handler: a('deregisterCheck'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/agent/check/pass/:id', handler: a('pass'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/agent/check/warn/:id', handler: a('warn'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/agent/check/fail/:id', handler: a('fail'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/agent/checks', handler: a('checks'), acl: { resource: 'node', access: 'read', filtered: true } },
    { method: 'GET', path: '/v1/agent/health/service/id/:id', handler: a('healthById'), acl: inHandler('service', 'read') },
    { method: 'GET', path: '/v1/agent/health/service/name/:name', handler: a('healthByName'), acl: { resource: 'service', access: 'read', name: param('name') } },
    { method: 'GET', path: '/v1/agent/self', handler: a('self'), acl: { resource: 'agent', access: 'read', name: () => agentName } },
    { method: 'GET', path: '/v1/agent/members', handler: a('members'), acl: { resource: 'node', access: 'read', filtered: true } },
    // status
    { method: 'GET', path: '/v1/status/leader', handler: a('leader'), acl: NONE },
    { method: 'GET', path: '/v1/status/peers', handler: a('peers'), acl: NONE },
    // ACL (each handler answers 401 "ACL support disabled" when ACLs are off)
    { method: 'PUT', path: '/v1/acl/bootstrap', handler: acl('bootstrap'), acl: NONE },
    { method: 'PUT', path: '/v1/acl/token', handler: acl('tokenCreate'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/token/self', handler: acl('tokenSelf'), acl: NONE },
    { method: 'GET', path: '/v1/acl/token/:accessor', handler: acl('tokenRead'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/token/:accessor', handler: acl('tokenUpdate'), acl: ACL_WRITE },
    { method: 'DELETE', path: '/v1/acl/token/:accessor', handler: acl('tokenDelete'), acl: ACL_WRITE },
    { method: 'PUT', path: '/v1/acl/token/:accessor/clone', handler: acl('tokenClone'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/tokens', handler: acl('tokenList'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/policy', handler: acl('policyCreate'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/policy/name/:name', handler: acl('policyReadByName'), acl: ACL_READ },
    { method: 'GET', path: '/v1/acl/policy/:id', handler: acl('policyRead'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/policy/:id', handler: acl('policyUpdate'), acl: ACL_WRITE },
    { method: 'DELETE', path: '/v1/acl/policy/:id', handler: acl('policyDelete'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/policies', handler: acl('policyList'), acl: ACL_READ },
    { method: 'POST', path: '/v1/internal/acl/authorize', handler: acl('authorize'), acl: NONE },
    // ACL roles, auth methods, binding rules, login (acl/auth-http.ts)
    { method: 'PUT', path: '/v1/acl/role', handler: acl('roleCreate'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/role/name/:name', handler: acl('roleReadByName'), acl: ACL_READ },
    { method: 'GET', path: '/v1/acl/role/:id', handler: acl('roleRead'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/role/:id', handler: acl('roleUpdate'), acl: ACL_WRITE },
    { method: 'DELETE', path: '/v1/acl/role/:id', handler: acl('roleDelete'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/roles', handler: acl('roleList'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/auth-method', handler: acl('authMethodCreate'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/auth-method/:name', handler: acl('authMethodRead'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/auth-method/:name', handler: acl('authMethodUpdate'), acl: ACL_WRITE },
    { method: 'DELETE', path: '/v1/acl/auth-method/:name', handler: acl('authMethodDelete'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/auth-methods', handler: acl('authMethodList'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/binding-rule', handler: acl('bindingRuleCreate'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/binding-rule/:id', handler: acl('bindingRuleRead'), acl: ACL_READ },
    { method: 'PUT', path: '/v1/acl/binding-rule/:id', handler: acl('bindingRuleUpdate'), acl: ACL_WRITE },
    { method: 'DELETE', path: '/v1/acl/binding-rule/:id', handler: acl('bindingRuleDelete'), acl: ACL_WRITE },
    { method: 'GET', path: '/v1/acl/binding-rules', handler: acl('bindingRuleList'), acl: ACL_READ },
    { method: 'POST', path: '/v1/acl/login', handler: acl('login'), acl: NONE },
    { method: 'POST', path: '/v1/acl/logout', handler: acl('logout'), acl: NONE },
    // config entries (permission depends on the kind: see config-entries/acl.ts)
    { method: 'PUT', path: '/v1/config', handler: cfg('apply'), acl: inHandler('mesh', 'write') },
    { method: 'GET', path: '/v1/config/:kind', handler: cfg('list'), acl: { resource: 'mesh', access: 'read', filtered: true } },
    { method: 'DELETE', path: '/v1/config/:kind', handler: cfg('deleteKindOnly'), acl: NONE },
    { method: 'GET', path: '/v1/config/:kind/:name', handler: cfg('read'), acl: inHandler('mesh', 'read') },
    { method: 'DELETE', path: '/v1/config/:kind/:name', handler: cfg('delete'), acl: inHandler('mesh', 'write') },
    // Connect CA
    { method: 'GET', path: '/v1/connect/ca/roots', handler: ca('roots'), acl: NONE },
    { method: 'GET', path: '/v1/agent/connect/ca/roots', handler: ca('roots'), acl: NONE },
    { method: 'GET', path: '/v1/agent/connect/ca/leaf/:service', handler: ca('leaf'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/connect/ca/configuration', handler: ca('getConfig'), acl: { resource: 'operator', access: 'write' } },
    { method: 'PUT', path: '/v1/connect/ca/configuration', handler: ca('setConfig'), acl: { resource: 'operator', access: 'write' } },
    // intentions
    { method: 'GET', path: '/v1/connect/intentions/match', handler: ixn('match'), acl: inHandler('intention', 'read') },
    { method: 'GET', path: '/v1/connect/intentions/check', handler: ixn('check'), acl: inHandler('intention', 'read') },
    { method: 'GET', path: '/v1/connect/intentions/exact', handler: ixn('exactGet'), acl: inHandler('intention', 'read') },
    { method: 'PUT', path: '/v1/connect/intentions/exact', handler: ixn('exactPut'), acl: inHandler('intention', 'write') },
    { method: 'DELETE', path: '/v1/connect/intentions/exact', handler: ixn('exactDelete'), acl: inHandler('intention', 'write') },
    { method: 'GET', path: '/v1/connect/intentions', handler: ixn('list'), acl: { resource: 'intention', access: 'read', filtered: true } },
    { method: 'POST', path: '/v1/connect/intentions', handler: ixn('legacyCreate'), acl: inHandler('intention', 'write') },
    // peering
    { method: 'POST', path: '/v1/peering/token', handler: pr('generateToken'), acl: PEERING_WRITE },
    { method: 'POST', path: '/v1/peering/establish', handler: pr('establish'), acl: PEERING_WRITE },
    { method: 'GET', path: '/v1/peering/', handler: pr('readEmpty'), acl: PEERING_READ },
    { method: 'GET', path: '/v1/peering/:name', handler: pr('read'), acl: PEERING_READ },
    { method: 'DELETE', path: '/v1/peering/:name', handler: pr('delete'), acl: PEERING_WRITE },
    { method: 'GET', path: '/v1/peerings', handler: pr('list'), acl: PEERING_READ },
    { method: 'GET', path: '/v1/exported-services', handler: pr('exportedServices'), acl: { resource: 'mesh', access: 'read' } },
    { method: 'GET', path: '/v1/internal/ui/exported-services', handler: pr('uiExportedServices'), acl: { resource: 'mesh', access: 'read' } },
    // connect data plane
    { method: 'POST', path: '/v1/agent/connect/authorize', handler: pick(h.connect, 'authorize'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/internal/peering/trust-bundles', handler: pick(h.connect, 'trustBundles'), acl: inHandler('service', 'write') },
    { method: 'GET', path: '/v1/catalog/connect/:name', handler: pick(h.connect, 'catalogConnect'), acl: { resource: 'service', access: 'read', name: param('name'), peerAware: true } },
    { method: 'GET', path: '/v1/internal/ui/services', handler: pick(h.connect, 'uiServices'), acl: { resource: 'service', access: 'read', filtered: true, peerAware: true } },
    { method: 'GET', path: '/v1/health/connect/:name', handler: pick(h.connect, 'healthConnect'), acl: { resource: 'service', access: 'read', name: param('name'), peerAware: true } },
    { method: 'GET', path: '/v1/agent/metrics', handler: h.metrics, acl: { resource: 'agent', access: 'read', name: () => agentName } },
    // KV: single keys need key:read / key:write on the key; ?recurse and ?keys drop what the token
    // cannot read; DELETE ?recurse needs write on the whole prefix (kv/http.ts)
    { method: 'GET', path: '/v1/kv/*', handler: pick(h.kv, 'get'), acl: { resource: 'key', access: 'read', filtered: true } },
    { method: 'PUT', path: '/v1/kv/*', handler: pick(h.kv, 'put'), acl: inHandler('key', 'write') },
    { method: 'DELETE', path: '/v1/kv/*', handler: pick(h.kv, 'delete'), acl: inHandler('key', 'write') },
    // txn: each operation is vetted on its own and denials are reported in `Errors` (409), as Consul does
    { method: 'PUT', path: '/v1/txn', handler: pick(h.kv, 'txn'), acl: NONE },
    { method: 'GET', path: '/v1/imported-services', handler: h.importedServices, acl: { resource: 'mesh', access: 'read' } },
    // web UI (static files; the API calls it makes carry their own permissions)
    ...(h.ui ? ([{ method: 'GET', path: '/', handler: pick(h.ui, 'root'), acl: NONE }] satisfies Route[]) : []),
    ...(h.ui?.asset
      ? ([
          { method: 'GET', path: '/ui', handler: pick(h.ui, 'ui'), acl: NONE },
          { method: 'GET', path: '/ui/*', handler: pick(h.ui, 'asset'), acl: NONE },
        ] satisfies Route[])
      : []),
    // virtual IPs and discovery chains
    { method: 'GET', path: '/v1/discovery-chain/', handler: pick(h.traffic, 'chainMissing'), acl: NONE },
    { method: 'GET', path: '/v1/discovery-chain/:service', handler: pick(h.traffic, 'chainGet'), acl: { resource: 'service', access: 'read', name: param('service') } },
    { method: 'POST', path: '/v1/discovery-chain/:service', handler: pick(h.traffic, 'chainPost'), acl: { resource: 'service', access: 'read', name: param('service') } },
    { method: 'PUT', path: '/v1/internal/service-virtual-ip', handler: pick(h.traffic, 'manualVips'), acl: { resource: 'mesh', access: 'write' } },
    { method: 'GET', path: '/v1/internal/virtual-ips', handler: pick(h.traffic, 'virtualIps'), acl: { resource: 'service', access: 'read', filtered: true } },
  ];
}
