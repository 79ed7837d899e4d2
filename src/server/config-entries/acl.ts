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
