// `isthmus acl bootstrap | policy create|list|read|delete | token create|list|read|delete`; roles, auth methods,
// binding rules, login and logout live beside this file.
import { readFileSync } from 'node:fs';
import type { AclPolicy } from '../../../sdk/client.js';
import { UsageError, type Command, type CommandContext } from '../../command.js';
import { toJson } from '../../output.js';
import { parseNodeIdentity, parseServiceIdentity, tokenText } from './common.js';
import { AUTH_METHOD_COMMANDS } from './auth-methods.js';
import { BINDING_RULE_COMMANDS } from './binding-rules.js';
import { LOGIN_COMMANDS } from './login.js';
import { ROLE_COMMANDS } from './roles.js';
import { aclTokenUpdateCommand } from './token-update.js';

function policyText(p: AclPolicy): string {
  return [`ID:           ${p.ID}`, `Name:         ${p.Name}`, `Description:  ${p.Description}`, ...(p.Rules !== undefined ? ['Rules:', p.Rules] : [])].join('\n');
}

function show<T>(ctx: CommandContext, v: T, text: (v: T) => string): void {
  ctx.out(ctx.format === 'json' ? toJson(v) : text(v));
}

function need(flags: Record<string, unknown>, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`Missing the required -${name} flag`);
  return v;
}

export const aclBootstrapCommand: Command = {
  path: ['acl', 'bootstrap'],
  summary: 'Create the initial management token (once)',
  usage: 'isthmus acl bootstrap [--format pretty|json]',
  flags: {},
  async run(_a, ctx) {
    show(ctx, await ctx.client().aclBootstrap(), tokenText);
  },
};

export const aclPolicyCreateCommand: Command = {
  path: ['acl', 'policy', 'create'],
  summary: 'Create a policy from rules (HCL or JSON; @FILE reads a file)',
  usage: 'isthmus acl policy create --name NAME [--description D] --rules RULES|@FILE',
  flags: { name: { type: 'string', doc: 'Policy name.' }, description: { type: 'string', doc: 'Description.' }, rules: { type: 'string', doc: 'Rules text, or @path to read them from a file.' } },
  async run({ flags }, ctx) {
    const name = need(flags, 'name');
    let rules = typeof flags.rules === 'string' ? flags.rules : '';
    if (rules.startsWith('@')) {
      try {
        rules = readFileSync(rules.slice(1), 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read rules file "${rules.slice(1)}": ${(err as Error).message}`);
      }
    }
    show(ctx, await ctx.client().aclPolicyCreate({ Name: name, ...(typeof flags.description === 'string' ? { Description: flags.description } : {}), Rules: rules }), policyText);
  },
};

export const aclPolicyListCommand: Command = {
  path: ['acl', 'policy', 'list'],
  summary: 'List policies',
  usage: 'isthmus acl policy list [--format pretty|json]',
  flags: {},
  async run(_a, ctx) {
    const list = await ctx.client().aclPolicies();
    if (ctx.format === 'json') return void ctx.out(toJson(list));
    ctx.out(list.map((p) => `${p.Name}:\n   ID:           ${p.ID}\n   Description:  ${p.Description}`).join('\n'));
  },
};

async function policyByFlags(ctx: CommandContext, flags: Record<string, unknown>): Promise<AclPolicy> {
  if (typeof flags.id === 'string' && flags.id) return ctx.client().aclPolicyRead(flags.id);
  if (typeof flags.name === 'string' && flags.name) return ctx.client().aclPolicyReadByName(flags.name);
  throw new UsageError('Must specify either the -id or -name flag');
}

export const aclPolicyReadCommand: Command = {
  path: ['acl', 'policy', 'read'],
  summary: 'Show a policy',
  usage: 'isthmus acl policy read --id ID | --name NAME',
  flags: { id: { type: 'string', doc: 'Policy ID.' }, name: { type: 'string', doc: 'Policy name.' } },
  async run({ flags }, ctx) {
    show(ctx, await policyByFlags(ctx, flags), policyText);
  },
};

export const aclPolicyDeleteCommand: Command = {
  path: ['acl', 'policy', 'delete'],
  summary: 'Delete a policy',
  usage: 'isthmus acl policy delete --id ID | --name NAME',
  flags: { id: { type: 'string', doc: 'Policy ID.' }, name: { type: 'string', doc: 'Policy name.' } },
  async run({ flags }, ctx) {
    const p = await policyByFlags(ctx, flags);
    await ctx.client().aclPolicyDelete(p.ID);
    ctx.out(`Policy "${p.ID}" deleted successfully`);
  },
};

export const aclTokenCreateCommand: Command = {
  path: ['acl', 'token', 'create'],
  summary: 'Create a token',
  usage: 'isthmus acl token create [--description D] [--policy-name N]... [--policy-id ID]... [--role-name N]... [--role-id ID]... [--service-identity SVC[:DCS]]... [--node-identity NODE:DC]... [--expires-ttl D] [--local]',
  flags: {
    description: { type: 'string', doc: 'Description.' },
    'policy-name': { type: 'string', multiple: true, doc: 'Policy to link, by name; repeatable.' },
    'policy-id': { type: 'string', multiple: true, doc: 'Policy to link, by ID; repeatable.' },
    'role-name': { type: 'string', multiple: true, doc: 'Role to link, by name; repeatable.' },
    'role-id': { type: 'string', multiple: true, doc: 'Role to link, by ID; repeatable.' },
    'service-identity': { type: 'string', multiple: true, doc: 'Service identity "svc" or "svc:dc1,dc2"; repeatable.' },
    'node-identity': { type: 'string', multiple: true, doc: 'Node identity "node:dc"; repeatable.' },
    'expires-ttl': { type: 'string', doc: 'Lifetime of the token (Go duration, 1m–24h).' },
    local: { type: 'boolean', doc: 'Create a datacenter-local token.' },
  },
  async run({ flags }, ctx) {
    const many = (n: string): string[] => (flags[n] as string[] | undefined) ?? [];
    const policies = [...many('policy-name').map((Name) => ({ Name })), ...many('policy-id').map((ID) => ({ ID }))];
    const roles = [...many('role-name').map((Name) => ({ Name })), ...many('role-id').map((ID) => ({ ID }))];
    const ttl = typeof flags['expires-ttl'] === 'string' ? flags['expires-ttl'] : undefined;
    show(
      ctx,
      await ctx.client().aclTokenCreate({
        ...(typeof flags.description === 'string' ? { Description: flags.description } : {}),
        Policies: policies,
        ...(roles.length ? { Roles: roles } : {}),
        ServiceIdentities: many('service-identity').map(parseServiceIdentity),
        ...(many('node-identity').length ? { NodeIdentities: many('node-identity').map(parseNodeIdentity) } : {}),
        ...(ttl ? { ExpirationTTL: ttl } : {}),
        ...(flags.local === true ? { Local: true } : {}),
      }),
      tokenText,
    );
  },
};

export const aclTokenListCommand: Command = {
  path: ['acl', 'token', 'list'],
  summary: 'List tokens',
  usage: 'isthmus acl token list [--format pretty|json]',
  flags: {},
  async run(_a, ctx) {
    const list = await ctx.client().aclTokens();
    if (ctx.format === 'json') return void ctx.out(toJson(list));
    ctx.out(list.map(tokenText).join('\n\n'));
  },
};

export const aclTokenReadCommand: Command = {
  path: ['acl', 'token', 'read'],
  summary: 'Show a token',
  usage: 'isthmus acl token read --accessor-id ID',
  flags: { 'accessor-id': { type: 'string', doc: 'AccessorID of the token.' } },
  async run({ flags }, ctx) {
    show(ctx, await ctx.client().aclTokenRead(need(flags, 'accessor-id')), tokenText);
  },
};

export const aclTokenDeleteCommand: Command = {
  path: ['acl', 'token', 'delete'],
  summary: 'Delete a token',
  usage: 'isthmus acl token delete --accessor-id ID',
  flags: { 'accessor-id': { type: 'string', doc: 'AccessorID of the token.' } },
  async run({ flags }, ctx) {
    const id = need(flags, 'accessor-id');
    await ctx.client().aclTokenDelete(id);
    ctx.out(`Token "${id}" deleted successfully`);
  },
};

export const ACL_COMMANDS: Command[] = [
  aclBootstrapCommand,
  aclPolicyCreateCommand,
  aclPolicyListCommand,
  aclPolicyReadCommand,
  aclPolicyDeleteCommand,
  aclTokenCreateCommand,
  aclTokenListCommand,
  aclTokenReadCommand,
  aclTokenDeleteCommand,
  aclTokenUpdateCommand,
  ...ROLE_COMMANDS,
  ...AUTH_METHOD_COMMANDS,
  ...BINDING_RULE_COMMANDS,
  ...LOGIN_COMMANDS,
];
