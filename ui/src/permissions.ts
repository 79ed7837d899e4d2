// What the current token may do, asked once per login from POST /v1/internal/acl/authorize (as Consul's UI does).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { ApiError, errorText, request } from './api';

export type Permission =
  | 'operator:read' | 'operator:write'
  | 'service:read' | 'service:write'
  | 'node:read'
  | 'intention:read' | 'intention:write'
  | 'acl:read' | 'acl:write'
  | 'peering:read' | 'peering:write'
  | 'mesh:read' | 'mesh:write';

const ASKED: Permission[] = [
  'operator:read', 'operator:write', 'service:read', 'service:write', 'node:read', 'intention:read', 'intention:write',
  'acl:read', 'acl:write', 'peering:read', 'peering:write', 'mesh:read', 'mesh:write',
];

export interface Permissions {
  /** False when the agent answered "ACL support disabled": everything is allowed. */
  aclEnabled: boolean;
  loaded: boolean;
  /** Why the permissions could not be read (e.g. "ACL not found" for an unknown token). */
  error: string | undefined;
  allowed: ReadonlySet<Permission>;
}

export const ALL_ALLOWED: Permissions = { aclEnabled: false, loaded: true, error: undefined, allowed: new Set(ASKED) };
export const LOADING: Permissions = { aclEnabled: false, loaded: false, error: undefined, allowed: new Set() };

export async function loadPermissions(): Promise<Permissions> {
  const items = ASKED.map((p) => {
    const [Resource, Access] = p.split(':') as [string, string];
    return { Resource, Access };
  });
  try {
    const res = await request<{ Resource: string; Access: string; Allow: boolean }[]>('POST', '/v1/internal/acl/authorize', items);
    const allowed = new Set<Permission>();
    for (const r of res.data) if (r.Allow) allowed.add(`${r.Resource}:${r.Access}` as Permission);
    return { aclEnabled: true, loaded: true, error: undefined, allowed };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return ALL_ALLOWED;
    return { aclEnabled: true, loaded: true, error: errorText(err), allowed: new Set() };
  }
}

export const PermissionsContext = createContext<Permissions>(LOADING);

/** `can('peering:write')`; while permissions are loading nothing is offered. */
export function useCan(): (p: Permission) => boolean {
  const perms = useContext(PermissionsContext);
  return (p) => perms.allowed.has(p);
}

export function usePermissions(): Permissions {
  return useContext(PermissionsContext);
}

/**
 * Per-item answers, as Consul's UI asks on item pages: `names` → may the token do `access` on each.
 * With ACLs off every answer is yes. Batches of 64 (the endpoint's limit).
 */
export async function authorizeEach(resource: string, access: string, names: string[]): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  const unique = [...new Set(names)];
  for (let i = 0; i < unique.length; i += 64) {
    const batch = unique.slice(i, i + 64);
    try {
      const res = await request<{ Segment?: string; Allow: boolean }[]>('POST', '/v1/internal/acl/authorize', batch.map((Segment) => ({ Resource: resource, Segment, Access: access })));
      res.data.forEach((r, j) => out.set(batch[j] as string, r.Allow));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) batch.forEach((n) => out.set(n, true));
      else throw err;
    }
  }
  return out;
}
