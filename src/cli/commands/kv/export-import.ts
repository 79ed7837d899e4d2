// `isthmus kv export [PREFIX]` and `isthmus kv import [-prefix P] DATA|@file|-`: Consul's JSON
// format `[{"key": ..., "flags": ..., "value": "<base64>"}]`, tab-indented.
import type { Command } from '../../command.js';
import { apiText, KvCommandError, keyArg } from './common.js';
import { readFileSync } from 'node:fs';

interface ExportEntry {
  key: string;
  flags: number;
  value: string;
}

/** Go's path.Clean (what path.Join applies to imported keys: `a//b/` → `a/b`). */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}

/** Go's path.Join(prefix, key). */
export function goPathJoin(prefix: string, key: string): string {
  const parts = [prefix, key].filter((x) => x !== '');
  return parts.length === 0 ? '' : goPathClean(parts.join('/'));
}

export const kvExportCommand: Command = {
  path: ['kv', 'export'],
  summary: 'Export a tree of the KV store as JSON',
  usage: 'isthmus kv export [PREFIX]',
  positionals: [0, 99],
  flags: {},
  async run({ positionals }, ctx) {
    const key = keyArg(positionals);
    let entries: ExportEntry[];
    try {
      entries = (await ctx.client().kvList(key)).map((p) => ({ key: p.Key, flags: p.Flags, value: p.Value.toString('base64') }));
    } catch (err) {
      ctx.err(`Error querying Consul agent: ${apiText(err)}`);
      return 1;
    }
    ctx.out(JSON.stringify(entries, null, '\t'));
    return 0;
  },
};

export const kvImportCommand: Command = {
  path: ['kv', 'import'],
  summary: 'Import a tree of the KV store from JSON (as written by kv export)',
  usage: 'isthmus kv import [-prefix PREFIX] DATA',
  positionals: [0, 99],
  flags: { prefix: { type: 'string', doc: 'Key prefix to import under.' } },
  async run({ flags, positionals }, ctx) {
    if (positionals.length === 0) throw new KvCommandError('Error! Missing DATA argument');
    if (positionals.length > 1) throw new KvCommandError(`Error! Too many arguments (expected 1, got ${positionals.length})`);
    let data = positionals[0] as string;
    if (data === '') throw new KvCommandError('Error! Empty DATA argument');
    if (data.startsWith('@')) {
      try {
        data = readFileSync(data.slice(1), 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new KvCommandError(`Error! Failed to read file: ${e.code === 'ENOENT' ? `open ${data.slice(1)}: no such file or directory` : e.message}`);
      }
    } else if (data === '-') data = ctx.stdin().toString('utf8');
    const client = ctx.client();
    let entries: unknown;
    try {
      entries = JSON.parse(data);
    } catch (err) {
      ctx.err(`Cannot unmarshal data: ${(err as Error).message}`);
      return 1;
    }
    if (!Array.isArray(entries)) {
      ctx.err('Cannot unmarshal data: json: cannot unmarshal object into Go value of type []*kvimpexp.Entry');
      return 1;
    }
    const prefix = typeof flags.prefix === 'string' ? flags.prefix : '';
    for (const raw of entries as Partial<ExportEntry>[]) {
      const entry = raw ?? {};
      const value = String(entry.value ?? '');
      if (/[^A-Za-z0-9+/=]/.test(value) || value.length % 4 !== 0) {
        ctx.err(`Error base 64 decoding value for key ${String(entry.key ?? '')}: illegal base64 data at input byte ${Math.max(0, value.search(/[^A-Za-z0-9+/=]/))}`);
        return 1;
      }
      const key = goPathJoin(prefix, String(entry.key ?? ''));
      try {
        await client.kvPut(key, Buffer.from(value, 'base64'), { flags: Number(entry.flags ?? 0) });
      } catch (err) {
        ctx.err(`Error! Failed writing data for key ${key}: ${apiText(err)}`);
        return 1;
      }
      ctx.out(`Imported: ${key}`);
    }
    return 0;
  },
};
