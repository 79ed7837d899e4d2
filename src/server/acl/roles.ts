// ACL roles: named sets of policies and service/node identities that tokens link to.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../../lib/errors.js';
import type { AclService } from './service.js';
import type { Indexed, NodeIdentity, RoleRecord, ServiceIdentity } from './types.js';

const ROLE_NAME_RE = /^[A-Za-z0-9\-_]{1,256}$/;
/** Consul's service identity names: lower-case alphanumerics, `-` and `_`. */
export const SERVICE_IDENTITY_RE = /^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$/;
const NODE_NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9\-_]*[A-Za-z0-9])?$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RoleInput {
  ID?: string;
  Name?: string;
  Description?: string;
  Policies?: { ID?: string; Name?: string }[];
  ServiceIdentities?: { ServiceName?: string; Datacenters?: string[] }[];
  NodeIdentities?: { NodeName?: string; Datacenter?: string }[];
}

export function isValidRoleName(name: string): boolean {
  return ROLE_NAME_RE.test(name);
}

export function isValidNodeName(name: string): boolean {
  return name.length <= 63 && NODE_NAME_RE.test(name);
}

/** Service identities of a role: every one named, with a valid name. */
export function roleServiceIdentities(input: RoleInput['ServiceIdentities']): ServiceIdentity[] {
  return (input ?? []).map((s) => {
    if (!s.ServiceName) throw invalid('Service identity is missing the service name field on this role');
    if (!SERVICE_IDENTITY_RE.test(s.ServiceName)) throw invalid(`Service identity "${s.ServiceName}" has an invalid name. Only lowercase alphanumeric characters, '-' and '_' are allowed`);
    return { ServiceName: s.ServiceName, ...(s.Datacenters?.length ? { Datacenters: s.Datacenters } : {}) };
  });
}

export function roleNodeIdentities(input: RoleInput['NodeIdentities']): NodeIdentity[] {
  return (input ?? []).map((n) => {
    if (!n.NodeName) throw invalid('Node identity is missing the node name field on this role');
    if (!n.Datacenter) throw invalid('Node identity is missing the datacenter field on this role');
    if (!isValidNodeName(n.NodeName)) throw invalid(`Node identity has an invalid name. Only alphanumeric characters, '-' and '_' are allowed`);
    return { NodeName: n.NodeName, Datacenter: n.Datacenter };
  });
}

export class RoleService {
  readonly #acl: AclService;

  constructor(acl: AclService) {
    this.#acl = acl;
  }

  list(policyId?: string): Indexed<RoleRecord>[] {
    return this.#acl.roles
      .values()
      .filter((r) => !policyId || r.value.Policies.some((p) => p.ID === policyId))
      .sort((a, b) => a.value.Name.localeCompare(b.value.Name));
  }

  get(id: string): Indexed<RoleRecord> | undefined {
    return this.#acl.roles.get(id);
  }

  byName(name: string): Indexed<RoleRecord> | undefined {
    return this.#acl.roles.find((r) => r.Name === name);
  }

  #build(input: RoleInput, id: string): RoleRecord {
    const name = input.Name ?? '';
    if (name === '') throw invalid('Invalid Role: no Name is set');
    if (!isValidRoleName(name)) throw invalid(`Invalid Role: invalid Name "${name}". Only alphanumeric characters, '-' and '_' are allowed`);
    const other = this.byName(name);
    if (other && other.value.ID !== id) throw invalid(`Invalid Role: A Role with Name "${name}" already exists`);
    for (const l of input.Policies ?? []) if (!l.ID && !l.Name) throw invalid('Role Policies must specify either an ID or a Name');
    return {
      ID: id,
      Name: name,
      Description: input.Description ?? '',
      Policies: this.#acl.policyLinks(input.Policies),
      ServiceIdentities: roleServiceIdentities(input.ServiceIdentities),
      NodeIdentities: roleNodeIdentities(input.NodeIdentities),
    };
  }

  create(input: RoleInput): Promise<Indexed<RoleRecord>> {
    if (input.ID) return Promise.reject(invalid('Cannot specify the ID when creating a new role'));
    return this.#acl.serialWrite(async () => {
      const r = this.#build(input, randomUUID());
      await this.#acl.commit([this.#acl.roles.putOp(r)]);
      return this.#acl.roles.get(r.ID) as Indexed<RoleRecord>;
    });
  }

  update(id: string, input: RoleInput): Promise<Indexed<RoleRecord>> {
    if (input.ID && input.ID !== id) return Promise.reject(invalid('Role ID in URL and payload do not match'));
    if (!UUID_RE.test(id)) return Promise.reject(invalid('Role ID invalid UUID'));
    return this.#acl.serialWrite(async () => {
      if (!this.#acl.roles.has(id)) throw notFound('Cannot find role to update');
      const r = this.#build(input, id);
      await this.#acl.commit([this.#acl.roles.putOp(r)]);
      return this.#acl.roles.get(id) as Indexed<RoleRecord>;
    });
  }

  /** Deletes the role and unlinks it from every token in the same transaction. */
  delete(id: string): Promise<void> {
    return this.#acl.serialWrite(async () => {
      if (!this.#acl.roles.has(id)) throw notFound('Cannot find role to delete');
      const ops = [this.#acl.roles.deleteOp(id)];
      for (const t of this.#acl.tokens()) {
        if (!(t.value.Roles ?? []).some((r) => r.ID === id)) continue;
        const { Roles: old = [], ...rest } = t.value;
        const roles = old.filter((r) => r.ID !== id);
        ops.push(this.#acl.tokenPutOp(roles.length > 0 ? { ...rest, Roles: roles } : rest));
      }
      await this.#acl.commit(ops);
    });
  }
}
