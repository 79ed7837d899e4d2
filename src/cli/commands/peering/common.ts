// Shared pieces of the `isthmus peering` commands: flags, meta parsing, Consul's error wording.
import { ApiError } from '../../../sdk/client.js';
import { UsageError, type FlagSpec } from '../../command.js';

export const NAME_FLAG: FlagSpec = { type: 'string', doc: 'The local name of the peering.' };
export const META_FLAG: FlagSpec = { type: 'string', multiple: true, doc: 'Metadata as key=value; repeatable.' };

export function requireName(flags: Record<string, unknown>): string {
  const name = flags.name;
  if (typeof name !== 'string' || name === '') throw new UsageError('Missing the required -name flag');
  return name;
}

export function parseMeta(v: unknown): Record<string, string> | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const kv of v as string[]) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`Invalid meta "${kv}": expected key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** `Unexpected response code: 400 (message)`, Consul's wording for API errors. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiError) return `Unexpected response code: ${err.status} (${err.message})`;
  return (err as Error).message;
}
