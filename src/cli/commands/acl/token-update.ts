// `isthmus acl token update`: Consul's flags (links replace the token's unless -merge-* or -append-* asks to keep them).
import type { AclTokenInput } from '../../../sdk/client.js';
import type { Command } from '../../command.js';
import { api, list, parseNodeIdentity, parseServiceIdentity, required, show, str, tokenText } from './common.js';

export const aclTokenUpdateCommand: Command = {
  path: ['acl', 'token', 'update'],
  summary: 'Update a token',
  usage: 'isthmus acl token update -accessor-id ID [-description D] [-policy-name N]... [-role-name N]... [-service-identity S]... [-node-identity N:DC]... [-merge-policies] [-merge-roles] [-merge-service-identities] [-merge-node-identities]',
  flags: {
    'accessor-id': { type: 'string', doc: 'AccessorID of the token.' },
    description: { type: 'string', doc: 'New description.' },
    'policy-id': { type: 'string', multiple: true, doc: 'Policy to link, by ID; repeatable.' },
    'policy-name': { type: 'string', multiple: true, doc: 'Policy to link, by name; repeatable.' },
    'append-policy-id': { type: 'string', multiple: true, doc: 'Policy to add to the existing ones, by ID.' },
    'append-policy-name': { type: 'string', multiple: true, doc: 'Policy to add to the existing ones, by name.' },
    'role-id': { type: 'string', multiple: true, doc: 'Role to link, by ID; repeatable.' },
    'role-name': { type: 'string', multiple: true, doc: 'Role to link, by name; repeatable.' },
    'append-role-id': { type: 'string', multiple: true, doc: 'Role to add to the existing ones, by ID.' },
    'append-role-name': { type: 'string', multiple: true, doc: 'Role to add to the existing ones, by name.' },
    'service-identity': { type: 'string', multiple: true, doc: 'Service identity "svc" or "svc:dc1,dc2"; repeatable.' },
    'node-identity': { type: 'string', multiple: true, doc: 'Node identity "node:dc"; repeatable.' },
    'merge-policies': { type: 'boolean', doc: 'Keep the existing policies.' },
    'merge-roles': { type: 'boolean', doc: 'Keep the existing roles.' },
    'merge-service-identities': { type: 'boolean', doc: 'Keep the existing service identities.' },
    'merge-node-identities': { type: 'boolean', doc: 'Keep the existing node identities.' },
  },
  async run({ flags }, ctx) {
    const id = required(flags, 'accessor-id');
    const cur = await api('Error when retrieving current token', () => ctx.client().aclTokenRead(id));
    const links = (ids: string[], names: string[]): { ID?: string; Name?: string }[] => [...ids.map((ID) => ({ ID })), ...names.map((Name) => ({ Name }))];
    const given = (a: string, b: string): boolean => list(flags, a).length + list(flags, b).length > 0;
    const keep = (merge: string, appendA: string, appendB: string): boolean => flags[merge] === true || given(appendA, appendB);
    const policies = links(list(flags, 'policy-id'), list(flags, 'policy-name'));
    const roles = links(list(flags, 'role-id'), list(flags, 'role-name'));
    const services = list(flags, 'service-identity').map(parseServiceIdentity);
    const nodes = list(flags, 'node-identity').map(parseNodeIdentity);
    const pick = <T>(current: T[], next: T[], merge: boolean, touched: boolean): T[] => (merge ? [...current, ...next] : touched ? next : current);
    const body: AclTokenInput = {
      AccessorID: id,
      Description: str(flags, 'description') ?? cur.Description,
      Policies: pick<{ ID?: string; Name?: string }>(cur.Policies.map((p) => ({ ID: p.ID })), [...policies, ...links(list(flags, 'append-policy-id'), list(flags, 'append-policy-name'))], keep('merge-policies', 'append-policy-id', 'append-policy-name'), policies.length > 0),
      Roles: pick<{ ID?: string; Name?: string }>((cur.Roles ?? []).map((r) => ({ ID: r.ID })), [...roles, ...links(list(flags, 'append-role-id'), list(flags, 'append-role-name'))], keep('merge-roles', 'append-role-id', 'append-role-name'), roles.length > 0),
      ServiceIdentities: pick(cur.ServiceIdentities ?? [], services, flags['merge-service-identities'] === true, services.length > 0),
      NodeIdentities: pick(cur.NodeIdentities ?? [], nodes, flags['merge-node-identities'] === true, nodes.length > 0),
    };
    show(ctx, await api('Failed to update token', () => ctx.client().aclTokenUpdate(id, body)), tokenText);
  },
};
