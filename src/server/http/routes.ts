// THE route table: every HTTP endpoint, its handler and the ACL permission it requires, in one place.
import type { Handler, HttpRequest } from './request.js';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';
export type AclResource = 'node' | 'service' | 'agent' | 'operator' | 'mesh' | 'peering' | 'acl' | 'intention';
export type AclAccess = 'read' | 'write';

/**
 * The permission an endpoint needs. `name` derives the resource segment from the request
 * (e.g. the service name); `none` marks endpoints Consul leaves open; `filtered` marks lists that
 * drop what the token cannot see instead of refusing.
 */
export type AclRequirement =
  | { resource: AclResource; access: AclAccess; name?: (req: HttpRequest) => string; filtered?: true }
  | { none: true };

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
}

const param = (name: string) => (req: HttpRequest) => req.params[name] ?? '';
const NONE: AclRequirement = { none: true };

function pick(handlers: Record<string, Handler>, name: string): Handler {
  const h = handlers[name];
  if (!h) throw new Error(`route table names a missing handler "${name}"`);
  return h;
}

export function buildRoutes(h: RouteHandlers): Route[] {
  const c = (n: string): Handler => pick(h.catalog, n);
  const he = (n: string): Handler => pick(h.health, n);
  const a = (n: string): Handler => pick(h.agent, n);
  return [
    // catalog
    { method: 'PUT', path: '/v1/catalog/register', handler: c('register'), acl: { resource: 'node', access: 'write' } },
    { method: 'PUT', path: '/v1/catalog/deregister', handler: c('deregister'), acl: { resource: 'node', access: 'write' } },
    { method: 'GET', path: '/v1/catalog/datacenters', handler: c('datacenters'), acl: NONE },
    { method: 'GET', path: '/v1/catalog/nodes', handler: c('nodes'), acl: { resource: 'node', access: 'read', filtered: true } },
    { method: 'GET', path: '/v1/catalog/services', handler: c('services'), acl: { resource: 'service', access: 'read', filtered: true } },
    { method: 'GET', path: '/v1/catalog/service/:name', handler: c('service'), acl: { resource: 'service', access: 'read', name: param('name') } },
    { method: 'GET', path: '/v1/catalog/node/:node', handler: c('node'), acl: { resource: 'node', access: 'read', name: param('node') } },
    { method: 'GET', path: '/v1/catalog/node-services/:node', handler: c('nodeServices'), acl: { resource: 'node', access: 'read', name: param('node') } },
    // health
    { method: 'GET', path: '/v1/health/service/:name', handler: he('service'), acl: { resource: 'service', access: 'read', name: param('name') } },
    { method: 'GET', path: '/v1/health/checks/:name', handler: he('checks'), acl: { resource: 'service', access: 'read', name: param('name') } },
    { method: 'GET', path: '/v1/health/node/:node', handler: he('node'), acl: { resource: 'node', access: 'read', name: param('node') } },
    { method: 'GET', path: '/v1/health/state/:state', handler: he('state'), acl: { resource: 'node', access: 'read', filtered: true } },
    // agent
    { method: 'PUT', path: '/v1/agent/service/register', handler: a('registerService'), acl: { resource: 'service', access: 'write' } },
    { method: 'PUT', path: '/v1/agent/service/deregister/:id', handler: a('deregisterService'), acl: { resource: 'service', access: 'write' } },
    { method: 'GET', path: '/v1/agent/services', handler: a('services'), acl: { resource: 'service', access: 'read', filtered: true } },
    { method: 'GET', path: '/v1/agent/service/:id', handler: a('service'), acl: { resource: 'service', access: 'read' } },
    { method: 'PUT', path: '/v1/agent/check/register', handler: a('registerCheck'), acl: { resource: 'node', access: 'write' } },
    { method: 'PUT', path: '/v1/agent/check/deregister/:id', handler: a('deregisterCheck'), acl: { resource: 'node', access: 'write' } },
    { method: 'PUT', path: '/v1/agent/check/pass/:id', handler: a('pass'), acl: { resource: 'node', access: 'write' } },
    { method: 'PUT', path: '/v1/agent/check/warn/:id', handler: a('warn'), acl: { resource: 'node', access: 'write' } },
    { method: 'PUT', path: '/v1/agent/check/fail/:id', handler: a('fail'), acl: { resource: 'node', access: 'write' } },
    { method: 'PUT', path: '/v1/agent/check/update/:id', handler: a('updateCheck'), acl: { resource: 'node', access: 'write' } },
    { method: 'GET', path: '/v1/agent/checks', handler: a('checks'), acl: { resource: 'node', access: 'read', filtered: true } },
    { method: 'GET', path: '/v1/agent/health/service/id/:id', handler: a('healthById'), acl: { resource: 'service', access: 'read' } },
    { method: 'GET', path: '/v1/agent/health/service/name/:name', handler: a('healthByName'), acl: { resource: 'service', access: 'read', name: param('name') } },
    { method: 'GET', path: '/v1/agent/self', handler: a('self'), acl: { resource: 'agent', access: 'read' } },
    { method: 'GET', path: '/v1/agent/members', handler: a('members'), acl: { resource: 'node', access: 'read', filtered: true } },
    // status
    { method: 'GET', path: '/v1/status/leader', handler: a('leader'), acl: NONE },
    { method: 'GET', path: '/v1/status/peers', handler: a('peers'), acl: NONE },
  ];
}
