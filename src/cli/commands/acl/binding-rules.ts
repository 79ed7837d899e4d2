// `isthmus acl binding-rule create|read|list|update|delete` (Consul's flags and output).
import type { AclBindingRule, AclBindingRuleInput, AclBindType } from '../../../sdk/client.js';
import type { Command } from '../../command.js';
import { toJson } from '../../output.js';
import { api, required, show, str, type Flags } from './common.js';

export function bindingRuleText(r: AclBindingRule): string {
  const lines = [`ID:           ${r.ID}`, `AuthMethod:   ${r.AuthMethod}`, `Description:  ${r.Description}`, `BindType:     ${r.BindType}`, `BindName:     ${r.BindName}`];
  if (r.BindVars?.Name) lines.push(`BindVars:     Name=${r.BindVars.Name}`);
  lines.push(`Selector:     ${r.Selector}`, `Create Index: ${r.CreateIndex}`, `Modify Index: ${r.ModifyIndex}`);
  return lines.join('\n');
}

const FIELD_FLAGS = {
  description: { type: 'string', doc: 'Description.' },
  selector: { type: 'string', doc: 'Boolean expression over the identity (e.g. serviceaccount.name!=default).' },
  'bind-type': { type: 'string', doc: 'service, node, role, policy or templated-policy.' },
  'bind-name': { type: 'string', doc: 'Name to bind; may use ${serviceaccount.name} style variables.' },
  'bind-vars': { type: 'string', doc: 'Templated-policy variables as Name=VALUE.' },
} as const;

function bindVars(flags: Flags): { Name?: string } | undefined {
  const v = str(flags, 'bind-vars');
  if (v === undefined) return undefined;
  const m = /^\s*(?:name|Name)\s*=\s*(.*)$/.exec(v);
  return m ? { Name: m[1] as string } : { Name: v };
}

export const aclBindingRuleCreateCommand: Command = {
  path: ['acl', 'binding-rule', 'create'],
  summary: 'Create an ACL binding rule',
  usage: "isthmus acl binding-rule create -method NAME -bind-type service -bind-name '${serviceaccount.name}' [-selector EXPR] [-description D]",
  flags: { method: { type: 'string', doc: 'Auth method the rule belongs to.' }, ...FIELD_FLAGS },
  async run({ flags }, ctx) {
    const method = required(flags, 'method');
    const bindType = required(flags, 'bind-type');
    const bindName = required(flags, 'bind-name');
    const vars = bindVars(flags);
    const body: AclBindingRuleInput = { AuthMethod: method, Description: str(flags, 'description') ?? '', Selector: str(flags, 'selector') ?? '', BindType: bindType as AclBindType, BindName: bindName, ...(vars ? { BindVars: vars } : {}) };
    show(ctx, await api('Failed to create new binding rule', () => ctx.client().aclBindingRuleCreate(body)), bindingRuleText);
  },
};

export const aclBindingRuleReadCommand: Command = {
  path: ['acl', 'binding-rule', 'read'],
  summary: 'Show an ACL binding rule',
  usage: 'isthmus acl binding-rule read -id ID',
  flags: { id: { type: 'string', doc: 'Binding rule ID.' } },
  async run({ flags }, ctx) {
    const id = required(flags, 'id');
    show(ctx, await api(`Error reading binding rule "${id}"`, () => ctx.client().aclBindingRuleRead(id)), bindingRuleText);
  },
};

export const aclBindingRuleListCommand: Command = {
  path: ['acl', 'binding-rule', 'list'],
  summary: 'List ACL binding rules',
  usage: 'isthmus acl binding-rule list [-method NAME]',
  flags: { method: { type: 'string', doc: 'Only the rules of this auth method.' } },
  async run({ flags }, ctx) {
    const m = str(flags, 'method');
    const rules = await api('Failed to retrieve the binding rule list', () => ctx.client().aclBindingRules(m ? { authmethod: m } : {}));
    if (ctx.format === 'json') return void ctx.out(toJson(rules));
    ctx.out(rules.map((r) => `${r.ID}:\n${bindingRuleText(r).split('\n').slice(1).map((l) => `   ${l}`).join('\n')}`).join('\n'));
  },
};

export const aclBindingRuleUpdateCommand: Command = {
  path: ['acl', 'binding-rule', 'update'],
  summary: 'Update an ACL binding rule (unset fields keep their values unless -no-merge)',
  usage: 'isthmus acl binding-rule update -id ID [-bind-type T] [-bind-name N] [-selector EXPR] [-description D] [-no-merge]',
  flags: { id: { type: 'string', doc: 'Binding rule ID.' }, 'no-merge': { type: 'boolean', doc: 'Replace the rule instead of merging the given fields into it.' }, ...FIELD_FLAGS },
  async run({ flags }, ctx) {
    const id = required(flags, 'id');
    const cur = await api('Error when retrieving current binding rule', () => ctx.client().aclBindingRuleRead(id));
    const merge = flags['no-merge'] !== true;
    const vars = bindVars(flags);
    const body: AclBindingRuleInput = {
      ID: id,
      AuthMethod: cur.AuthMethod,
      Description: str(flags, 'description') ?? (merge ? cur.Description : ''),
      Selector: str(flags, 'selector') ?? (merge ? cur.Selector : ''),
      BindType: (str(flags, 'bind-type') ?? (merge ? cur.BindType : '')) as AclBindType,
      BindName: str(flags, 'bind-name') ?? (merge ? cur.BindName : ''),
      ...(vars ? { BindVars: vars } : merge && cur.BindVars ? { BindVars: cur.BindVars } : {}),
    };
    show(ctx, await api('Error updating binding rule', () => ctx.client().aclBindingRuleUpdate(id, body)), bindingRuleText);
  },
};

export const aclBindingRuleDeleteCommand: Command = {
  path: ['acl', 'binding-rule', 'delete'],
  summary: 'Delete an ACL binding rule',
  usage: 'isthmus acl binding-rule delete -id ID',
  flags: { id: { type: 'string', doc: 'Binding rule ID.' } },
  async run({ flags }, ctx) {
    const id = required(flags, 'id');
    await api(`Error deleting binding rule "${id}"`, () => ctx.client().aclBindingRuleDelete(id));
    ctx.out(`Binding rule "${id}" deleted successfully`);
  },
};

export const BINDING_RULE_COMMANDS: Command[] = [aclBindingRuleCreateCommand, aclBindingRuleReadCommand, aclBindingRuleListCommand, aclBindingRuleUpdateCommand, aclBindingRuleDeleteCommand];
