// Which permission reading or writing each config entry kind needs (Consul's rules, spec §8).
import type { AclAccess, AclResourceName } from '../acl/authorizer.js';
import type { ConfigKind } from './schema.js';

export interface Permission {
  resource: AclResourceName;
  access: AclAccess;
  name?: string;
}

/** `undefined` means no permission is needed. */
export function configEntryPermission(kind: ConfigKind, name: string, access: 'read' | 'write'): Permission | undefined {
  switch (kind) {
    case 'exported-services':
      return { resource: 'mesh', access };
    case 'mesh':
    case 'proxy-defaults':
      return access === 'read' ? undefined : { resource: 'mesh', access };
    case 'service-intentions':
      return { resource: 'intention', access, name };
    case 'service-resolver':
    case 'service-defaults':
    case 'service-router':
    case 'service-splitter':
      return { resource: 'service', access, name };
  }
}

/**
 * Services a discovery-chain entry points at (spec §3: writing one also needs `service:read` on each):
 * router destinations, split targets, resolver redirect and failover services.
 */
export function referencedServices(entry: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const name = (v: unknown): void => {
    if (typeof v === 'string' && v !== '' && v !== entry.Name) out.add(v);
  };
  const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  if (entry.Kind === 'service-router') for (const r of arr(entry.Routes)) name((r.Destination as Record<string, unknown> | undefined)?.Service);
  if (entry.Kind === 'service-splitter') for (const s of arr(entry.Splits)) name(s.Service);
  if (entry.Kind === 'service-resolver') {
    const r = entry.Redirect as Record<string, unknown> | undefined;
    if (r && !r.Peer) name(r.Service);
    for (const f of Object.values((entry.Failover as Record<string, Record<string, unknown>> | undefined) ?? {})) {
      name(f.Service);
      for (const t of arr(f.Targets)) if (!t.Peer) name(t.Service);
    }
  }
  return [...out];
}
