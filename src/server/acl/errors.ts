// Consul's permission-denied texts (acl/errors.go), built in one place.
import { IsthmusError } from '../../lib/errors.js';
import type { AclAccess, AclResourceName, Authorizer } from './authorizer.js';

export const ANONYMOUS_ACCESSOR_ID = '00000000-0000-0000-0000-000000000002';

const UNNAMED = new Set(['acl', 'operator', 'mesh', 'peering', 'keyring']);

/** `Permission denied: token with AccessorID '…' lacks permission 'service:write' on "web"`. */
export function permissionDenied(authz: Authorizer, resource: AclResourceName, access: AclAccess, name?: string): IsthmusError {
  const perm = `'${resource}:${access}'`;
  const on = UNNAMED.has(resource) || name === undefined ? '' : ` on "${name}"`;
  const message = authz.anonymous
    ? `Permission denied: anonymous token lacks permission ${perm}${on}. The anonymous token is used implicitly when a request does not specify a token.`
    : `Permission denied: token with AccessorID '${authz.accessorId}' lacks permission ${perm}${on}`;
  return new IsthmusError('PERMISSION_DENIED', message, { details: { resource, access, ...(name !== undefined ? { name } : {}) } });
}

export function aclNotFound(): IsthmusError {
  return new IsthmusError('PERMISSION_DENIED', 'ACL not found', { reason: 'ACL_NOT_FOUND' });
}

/** Throws unless the authorizer allows the operation. */
export function enforce(authz: Authorizer, resource: AclResourceName, access: AclAccess, name?: string): void {
  if (!authz.allowed(resource, access, name)) throw permissionDenied(authz, resource, access, name);
}
