// Helpers the `acl` commands share: Consul's token text, required flags, @file values, API error wording.
import { readFileSync } from 'node:fs';
import { ApiError, type AclToken } from '../../../sdk/client.js';
import { UsageError, type CommandContext } from '../../command.js';
import { toJson } from '../../output.js';

export type Flags = Record<string, string | boolean | string[] | undefined>;

export function tokenText(t: AclToken): string {
  const lines = [
    `AccessorID:       ${t.AccessorID}`,
    `SecretID:         ${t.SecretID}`,
    `Description:      ${t.Description}`,
    `Local:            ${t.Local}`,
  ];
  if (t.AuthMethod) lines.push(`Auth Method:      ${t.AuthMethod}`);
  lines.push(`Create Time:      ${t.CreateTime}`);
  if (t.ExpirationTime) lines.push(`Expiration Time:  ${t.ExpirationTime}`);
  if (t.Policies?.length) lines.push('Policies:', ...t.Policies.map((p) => `   ${p.ID} - ${p.Name}`));
  if (t.Roles?.length) lines.push('Roles:', ...t.Roles.map((r) => `   ${r.ID} - ${r.Name}`));
  if (t.ServiceIdentities?.length) lines.push('Service Identities:', ...t.ServiceIdentities.map((s) => `   ${s.ServiceName} (Datacenters: ${s.Datacenters?.length ? s.Datacenters.join(', ') : 'all'})`));
  if (t.NodeIdentities?.length) lines.push('Node Identities:', ...t.NodeIdentities.map((n) => `   ${n.NodeName} (Datacenter: ${n.Datacenter})`));
  return lines.join('\n');
}

export function show<T>(ctx: CommandContext, v: T, text: (v: T) => string): void {
  ctx.out(ctx.format === 'json' ? toJson(v) : text(v));
}

export function str(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(flags: Flags, name: string): string[] {
  return (flags[name] as string[] | undefined) ?? [];
}

/** Consul's wording for a missing flag: `Missing required '-name' flag`. */
export function required(flags: Flags, name: string): string {
  const v = str(flags, name);
  if (v === undefined || v === '') throw new UsageError(`Missing required '-${name}' flag`);
  return v;
}

/** A flag value, or the contents of the file it names with a leading `@`. */
export function fileOrValue(value: string, what: string): string {
  if (!value.startsWith('@')) return value;
  try {
    return readFileSync(value.slice(1), 'utf8');
  } catch (err) {
    throw new UsageError(`Failed to read ${what} from "${value.slice(1)}": ${(err as Error).message}`);
  }
}

/** Runs an API call; an API refusal becomes Consul's `<prefix>: Unexpected response code: N (text)`. */
export async function api<T>(prefix: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError) throw new UsageError(`${prefix}: Unexpected response code: ${err.status} (${err.message})`);
    throw err;
  }
}

/** `svc` or `svc:dc1,dc2` (Consul's -service-identity). */
export function parseServiceIdentity(v: string): { ServiceName: string; Datacenters?: string[] } {
  const i = v.indexOf(':');
  if (i < 0) return { ServiceName: v };
  const dcs = v.slice(i + 1).split(',').map((d) => d.trim()).filter(Boolean);
  return { ServiceName: v.slice(0, i), ...(dcs.length ? { Datacenters: dcs } : {}) };
}

/** `node:dc` (Consul's -node-identity). */
export function parseNodeIdentity(v: string): { NodeName: string; Datacenter: string } {
  const i = v.indexOf(':');
  if (i <= 0 || i === v.length - 1) throw new UsageError(`Malformed -node-identity argument: "${v}"`);
  return { NodeName: v.slice(0, i), Datacenter: v.slice(i + 1) };
}
