// Shared pieces of `isthmus kv`: Consul's DATA argument forms, key cleaning, the detailed block.
import { readFileSync } from 'node:fs';
import type { KVPair } from '../../../sdk/client.js';
import { ApiError } from '../../../sdk/client.js';
import { UsageError, type CommandContext } from '../../command.js';

/** A command-level failure printed as is (Consul prints `Error! ...` and exits 1). */
export class KvCommandError extends UsageError {}

/** `@file` reads a file, `-` reads stdin, anything else is the value itself. */
export function dataArg(data: string, ctx: CommandContext): Buffer {
  if (data === '') return Buffer.alloc(0);
  if (data.startsWith('@')) {
    try {
      return readFileSync(data.slice(1));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new KvCommandError(`Failed to read file: ${e.code === 'ENOENT' ? `open ${data.slice(1)}: no such file or directory` : e.message}`);
    }
  }
  if (data === '-') return ctx.stdin();
  return Buffer.from(data);
}

/** The one optional KEY argument of get/delete/export, with a leading `/` stripped as Consul does. */
export function keyArg(positionals: string[]): string {
  if (positionals.length > 1) throw new KvCommandError(`Too many arguments (expected 1, got ${positionals.length})`);
  const key = positionals[0] ?? '';
  return key.startsWith('/') ? key.slice(1) : key;
}

/** Go's error text for a failed API call (`Unexpected response code: 403 (...)`). */
export function apiText(err: unknown): string {
  if (err instanceof ApiError) return `Unexpected response code: ${err.status} (${err.message})`;
  return (err as Error).message;
}

/** Go's text/tabwriter with minwidth 0, padding 6: the first column padded to its widest cell + 6. */
export function detailed(pair: KVPair, base64: boolean): string {
  const rows: [string, string][] = [
    ['CreateIndex', String(pair.CreateIndex)],
    ['Flags', String(pair.Flags)],
    ['Key', pair.Key],
    ['LockIndex', String(pair.LockIndex)],
    ['ModifyIndex', String(pair.ModifyIndex)],
    ['Session', pair.Session ? pair.Session : '-'],
    ['Value', base64 ? pair.Value.toString('base64') : pair.Value.toString('utf8')],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 6;
  return rows.map(([k, v]) => k.padEnd(width) + v).join('\n');
}

export function uintFlag(flags: Record<string, unknown>, name: string): number {
  const v = flags[name];
  if (v === undefined) return 0;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new KvCommandError(`invalid value ${JSON.stringify(v)} for flag -${name}: parse error`);
  }
  return Number(v);
}
