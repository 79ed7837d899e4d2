// Enforces a route's declared ACL requirement before its handler runs (the route table is the source).
import { enforce, permissionDenied } from '../acl/errors.js';
import type { HttpRequest } from './request.js';
import { queryOne } from './request.js';
import type { Route } from './routes.js';

/**
 * Throws PERMISSION_DENIED unless the request's token satisfies the route. Filtered list routes
 * pass here and drop what the token cannot see in their handler. Reads of imported data (`?peer=`)
 * follow spec §8: service:write on any service, or read on every service (node) — never per name.
 */
export function authorizeRoute(route: Route, req: HttpRequest): void {
  const acl = route.acl;
  if ('none' in acl || 'handler' in acl) return;
  const peer = acl.peerAware ? queryOne(req.query, 'peer') : undefined;
  if (peer) {
    const res = acl.resource === 'node' ? 'node' : 'service';
    if (req.authz.serviceWriteAny() || req.authz.readAll(res)) return;
    throw permissionDenied(req.authz, res, 'read', '*');
  }
  if (acl.filtered) return;
  enforce(req.authz, acl.resource, acl.access, acl.name?.(req));
}
