// `isthmus acl auth-method create|read|list|update|delete` (Consul's flags and output).
import type { AclAuthMethod, AclAuthMethodInput } from '../../../sdk/client.js';
import { UsageError, type Command } from '../../command.js';
import { toJson } from '../../output.js';
import { api, fileOrValue, required, show, str, type Flags } from './common.js';

export function authMethodText(m: AclAuthMethod): string {
  const lines = [`Name:          ${m.Name}`, `Type:          ${m.Type}`];
  if (m.DisplayName) lines.push(`Display Name:  ${m.DisplayName}`);
  lines.push(`Description:   ${m.Description ?? ''}`);
  if (m.MaxTokenTTL) lines.push(`MaxTokenTTL:   ${m.MaxTokenTTL}`);
  if (m.TokenLocality) lines.push(`TokenLocality: ${m.TokenLocality}`);
  lines.push(`Create Index:  ${m.CreateIndex}`, `Modify Index:  ${m.ModifyIndex}`);
  if (m.Config) lines.push('Config:', JSON.stringify(m.Config, null, 2));
  return lines.join('\n');
}

const FIELD_FLAGS = {
  'display-name': { type: 'string', doc: 'Name shown in the UI.' },
  description: { type: 'string', doc: 'Description.' },
  'max-token-ttl': { type: 'string', doc: 'Lifetime of tokens this method creates (Go duration, 1m–24h).' },
  'token-locality': { type: 'string', doc: 'Tokens are "local" (default) or "global".' },
  'kubernetes-host': { type: 'string', doc: 'Address of the Kubernetes API server (https://host:port).' },
  'kubernetes-ca-cert': { type: 'string', doc: 'PEM CA certificate of the API server, or @file.' },
  'kubernetes-service-account-jwt': { type: 'string', doc: 'JWT of a service account allowed to create TokenReviews, or @file.' },
  config: { type: 'string', doc: 'The whole Config as JSON, or @file.' },
} as const;

/** Config from -config or the -kubernetes-* flags (they may not be combined, as in Consul). */
function configOf(flags: Flags, type: string, base: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const raw = str(flags, 'config');
  const host = str(flags, 'kubernetes-host');
  const ca = str(flags, 'kubernetes-ca-cert');
  const jwt = str(flags, 'kubernetes-service-account-jwt');
  const k8s = host !== undefined || ca !== undefined || jwt !== undefined;
  if (raw !== undefined) {
    if (k8s) throw new UsageError('Cannot use -config with any of the -kubernetes-* flags');
    try {
      const v = JSON.parse(fileOrValue(raw, 'config')) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
      return v as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`Error parsing JSON for auth method config: ${(err as Error).message}`);
    }
  }
  if (!k8s) return base;
  if (type !== 'kubernetes') throw new UsageError('The -kubernetes-* flags apply only to auth methods of type "kubernetes"');
  return {
    ...(base ?? {}),
    ...(host !== undefined ? { Host: host } : {}),
    ...(ca !== undefined ? { CACert: fileOrValue(ca, 'kubernetes-ca-cert') } : {}),
    ...(jwt !== undefined ? { ServiceAccountJWT: fileOrValue(jwt, 'kubernetes-service-account-jwt').trim() } : {}),
  };
}

function fields(flags: Flags): Partial<AclAuthMethodInput> {
  const out: Partial<AclAuthMethodInput> = {};
  const dn = str(flags, 'display-name');
  const d = str(flags, 'description');
  const ttl = str(flags, 'max-token-ttl');
  const loc = str(flags, 'token-locality');
  if (dn !== undefined) out.DisplayName = dn;
  if (d !== undefined) out.Description = d;
  if (ttl !== undefined) out.MaxTokenTTL = ttl;
  if (loc !== undefined) out.TokenLocality = loc as AclAuthMethodInput['TokenLocality'];
  return out;
}

export const aclAuthMethodCreateCommand: Command = {
  path: ['acl', 'auth-method', 'create'],
  summary: 'Create an ACL auth method',
  usage: 'isthmus acl auth-method create -type kubernetes -name NAME -kubernetes-host URL -kubernetes-ca-cert @FILE -kubernetes-service-account-jwt JWT [-max-token-ttl D] [-token-locality local|global]',
  flags: { type: { type: 'string', doc: 'Auth method type: kubernetes.' }, name: { type: 'string', doc: 'Name of the auth method.' }, ...FIELD_FLAGS },
  async run({ flags }, ctx) {
    const type = required(flags, 'type');
    const name = required(flags, 'name');
    const config = configOf(flags, type, undefined);
    const body: AclAuthMethodInput = { Name: name, Type: type, ...fields(flags), ...(config ? { Config: config } : {}) };
    show(ctx, await api('Failed to create new auth method', () => ctx.client().aclAuthMethodCreate(body)), authMethodText);
  },
};

export const aclAuthMethodReadCommand: Command = {
  path: ['acl', 'auth-method', 'read'],
  summary: 'Show an ACL auth method',
  usage: 'isthmus acl auth-method read -name NAME',
  flags: { name: { type: 'string', doc: 'Name of the auth method.' } },
  async run({ flags }, ctx) {
    const name = required(flags, 'name');
    show(ctx, await api(`Error reading auth method "${name}"`, () => ctx.client().aclAuthMethodRead(name)), authMethodText);
  },
};

export const aclAuthMethodListCommand: Command = {
  path: ['acl', 'auth-method', 'list'],
  summary: 'List ACL auth methods',
  usage: 'isthmus acl auth-method list',
  flags: {},
  async run(_a, ctx) {
    const methods = await api('Failed to retrieve the auth method list', () => ctx.client().aclAuthMethods());
    if (ctx.format === 'json') return void ctx.out(toJson(methods));
    ctx.out(methods.map((m) => `${m.Name}:\n${authMethodText(m).split('\n').map((l) => `   ${l}`).join('\n')}`).join('\n'));
  },
};

export const aclAuthMethodUpdateCommand: Command = {
  path: ['acl', 'auth-method', 'update'],
  summary: 'Update an ACL auth method (unset fields keep their values unless -no-merge)',
  usage: 'isthmus acl auth-method update -name NAME [-description D] [-kubernetes-host URL] ... [-no-merge]',
  flags: { name: { type: 'string', doc: 'Name of the auth method.' }, 'no-merge': { type: 'boolean', doc: 'Replace the method instead of merging the given fields into it.' }, ...FIELD_FLAGS },
  async run({ flags }, ctx) {
    const name = required(flags, 'name');
    const cur = await api(`Error when retrieving current auth method`, () => ctx.client().aclAuthMethodRead(name));
    const merge = flags['no-merge'] !== true;
    const config = configOf(flags, cur.Type, merge ? cur.Config : undefined);
    const base: AclAuthMethodInput = merge
      ? { Name: name, Type: cur.Type, ...(cur.DisplayName ? { DisplayName: cur.DisplayName } : {}), ...(cur.Description ? { Description: cur.Description } : {}), ...(cur.MaxTokenTTL ? { MaxTokenTTL: cur.MaxTokenTTL } : {}), ...(cur.TokenLocality ? { TokenLocality: cur.TokenLocality as AclAuthMethodInput['TokenLocality'] } : {}) }
      : { Name: name, Type: cur.Type };
    const body: AclAuthMethodInput = { ...base, ...fields(flags), ...(config ? { Config: config } : {}) };
    show(ctx, await api('Error updating auth method', () => ctx.client().aclAuthMethodUpdate(name, body)), authMethodText);
  },
};

export const aclAuthMethodDeleteCommand: Command = {
  path: ['acl', 'auth-method', 'delete'],
  summary: 'Delete an ACL auth method (with its binding rules and the tokens it created)',
  usage: 'isthmus acl auth-method delete -name NAME',
  flags: { name: { type: 'string', doc: 'Name of the auth method.' } },
  async run({ flags }, ctx) {
    const name = required(flags, 'name');
    await api(`Error deleting auth method "${name}"`, () => ctx.client().aclAuthMethodDelete(name));
    ctx.out(`Auth method "${name}" deleted successfully`);
  },
};

export const AUTH_METHOD_COMMANDS: Command[] = [aclAuthMethodCreateCommand, aclAuthMethodReadCommand, aclAuthMethodListCommand, aclAuthMethodUpdateCommand, aclAuthMethodDeleteCommand];
