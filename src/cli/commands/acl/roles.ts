// `isthmus acl role create|read|list|update|delete` (Consul's flags and output).
import type { AclRole, AclRoleInput } from '../../../sdk/client.js';
import { UsageError, type Command, type CommandContext } from '../../command.js';
import { toJson } from '../../output.js';
import { api, list, parseNodeIdentity, parseServiceIdentity, required, show, str, type Flags } from './common.js';

export function roleText(r: AclRole): string {
  const lines = [`ID:           ${r.ID}`, `Name:         ${r.Name}`, `Description:  ${r.Description}`];
  if (r.Policies?.length) lines.push('Policies:', ...r.Policies.map((p) => `   ${p.ID} - ${p.Name}`));
  if (r.ServiceIdentities?.length) lines.push('Service Identities:', ...r.ServiceIdentities.map((s) => `   ${s.ServiceName} (Datacenters: ${s.Datacenters?.length ? s.Datacenters.join(', ') : 'all'})`));
  if (r.NodeIdentities?.length) lines.push('Node Identities:', ...r.NodeIdentities.map((n) => `   ${n.NodeName} (Datacenter: ${n.Datacenter})`));
  return lines.join('\n');
}

const LINK_FLAGS = {
  'policy-id': { type: 'string', multiple: true, doc: 'Policy to link, by ID; repeatable.' },
  'policy-name': { type: 'string', multiple: true, doc: 'Policy to link, by name; repeatable.' },
  'service-identity': { type: 'string', multiple: true, doc: 'Service identity "svc" or "svc:dc1,dc2"; repeatable.' },
  'node-identity': { type: 'string', multiple: true, doc: 'Node identity "node:dc"; repeatable.' },
} as const;

function links(flags: Flags): Pick<AclRoleInput, 'Policies' | 'ServiceIdentities' | 'NodeIdentities'> {
  return {
    Policies: [...list(flags, 'policy-id').map((ID) => ({ ID })), ...list(flags, 'policy-name').map((Name) => ({ Name }))],
    ServiceIdentities: list(flags, 'service-identity').map(parseServiceIdentity),
    NodeIdentities: list(flags, 'node-identity').map(parseNodeIdentity),
  };
}

async function roleByFlags(ctx: CommandContext, flags: Flags): Promise<AclRole> {
  const id = str(flags, 'id');
  const name = str(flags, 'name');
  if (id) return api('Error reading role', () => ctx.client().aclRoleRead(id));
  if (name) return api('Error reading role', () => ctx.client().aclRoleReadByName(name));
  throw new UsageError('Must specify either the -id or -name parameters');
}

export const aclRoleCreateCommand: Command = {
  path: ['acl', 'role', 'create'],
  summary: 'Create an ACL role',
  usage: 'isthmus acl role create -name NAME [-description D] [-policy-name N]... [-policy-id ID]... [-service-identity SVC[:DCS]]... [-node-identity NODE:DC]...',
  flags: { name: { type: 'string', doc: 'Role name.' }, description: { type: 'string', doc: 'Description.' }, ...LINK_FLAGS },
  async run({ flags }, ctx) {
    const name = required(flags, 'name');
    const l = links(flags);
    if (!l.Policies?.length && !l.ServiceIdentities?.length && !l.NodeIdentities?.length) {
      throw new UsageError('Cannot create a role without specifying -policy-name, -policy-id, -service-identity, or -node-identity at least once');
    }
    const r = await api('Failed to create new role', () => ctx.client().aclRoleCreate({ Name: name, Description: str(flags, 'description') ?? '', ...l }));
    show(ctx, r, roleText);
  },
};

export const aclRoleReadCommand: Command = {
  path: ['acl', 'role', 'read'],
  summary: 'Show an ACL role',
  usage: 'isthmus acl role read -id ID | -name NAME',
  flags: { id: { type: 'string', doc: 'Role ID.' }, name: { type: 'string', doc: 'Role name.' } },
  async run({ flags }, ctx) {
    show(ctx, await roleByFlags(ctx, flags), roleText);
  },
};

export const aclRoleListCommand: Command = {
  path: ['acl', 'role', 'list'],
  summary: 'List ACL roles',
  usage: 'isthmus acl role list',
  flags: {},
  async run(_a, ctx) {
    const roles = await api('Failed to retrieve the role list', () => ctx.client().aclRoles());
    if (ctx.format === 'json') return void ctx.out(toJson(roles));
    ctx.out(roles.map((r) => `${r.Name}:\n${roleText(r).split('\n').map((l) => `   ${l}`).join('\n')}`).join('\n'));
  },
};

export const aclRoleUpdateCommand: Command = {
  path: ['acl', 'role', 'update'],
  summary: 'Update an ACL role (merging links unless -no-merge)',
  usage: 'isthmus acl role update -id ID [-name NEW] [-description D] [-policy-name N]... [-service-identity S]... [-no-merge]',
  flags: { id: { type: 'string', doc: 'Role ID.' }, name: { type: 'string', doc: 'New name.' }, description: { type: 'string', doc: 'Description.' }, 'no-merge': { type: 'boolean', doc: 'Replace the links instead of adding to them.' }, ...LINK_FLAGS },
  async run({ flags }, ctx) {
    const id = required(flags, 'id');
    const cur = await api('Error reading role', () => ctx.client().aclRoleRead(id));
    const l = links(flags);
    const merge = flags['no-merge'] !== true;
    const body: AclRoleInput = {
      ID: id,
      Name: str(flags, 'name') || cur.Name,
      Description: str(flags, 'description') ?? cur.Description,
      Policies: merge ? [...(cur.Policies ?? []).map((p) => ({ ID: p.ID })), ...(l.Policies ?? [])] : (l.Policies ?? []),
      ServiceIdentities: merge ? [...(cur.ServiceIdentities ?? []), ...(l.ServiceIdentities ?? [])] : (l.ServiceIdentities ?? []),
      NodeIdentities: merge ? [...(cur.NodeIdentities ?? []), ...(l.NodeIdentities ?? [])] : (l.NodeIdentities ?? []),
    };
    show(ctx, await api('Error updating role', () => ctx.client().aclRoleUpdate(id, body)), roleText);
  },
};

export const aclRoleDeleteCommand: Command = {
  path: ['acl', 'role', 'delete'],
  summary: 'Delete an ACL role',
  usage: 'isthmus acl role delete -id ID | -name NAME',
  flags: { id: { type: 'string', doc: 'Role ID.' }, name: { type: 'string', doc: 'Role name.' } },
  async run({ flags }, ctx) {
    const r = await roleByFlags(ctx, flags);
    await api(`Error deleting role "${r.ID}"`, () => ctx.client().aclRoleDelete(r.ID));
    ctx.out(`Role "${r.ID}" deleted successfully`);
  },
};

export const ROLE_COMMANDS: Command[] = [aclRoleCreateCommand, aclRoleReadCommand, aclRoleListCommand, aclRoleUpdateCommand, aclRoleDeleteCommand];
