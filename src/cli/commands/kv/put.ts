// `isthmus kv put [-cas -modify-index N] [-flags N] [-base64] KEY [DATA|@file|-]` (Consul's kv put).
import type { Command } from '../../command.js';
import { apiText, dataArg, KvCommandError, uintFlag } from './common.js';

export const kvPutCommand: Command = {
  path: ['kv', 'put'],
  summary: 'Set or update data in the KV store',
  usage: 'isthmus kv put [options] KEY [DATA]',
  positionals: [0, 99],
  flags: {
    acquire: { type: 'boolean', doc: 'Obtain a lock on the key (needs -session; Isthmus has no sessions, so the server refuses it).' },
    base64: { type: 'boolean', doc: 'DATA is base64-encoded.' },
    cas: { type: 'boolean', doc: 'Check-and-set: write only if -modify-index still matches.' },
    flags: { type: 'string', doc: 'Unsigned integer stored with the pair.' },
    'modify-index': { type: 'string', doc: 'ModifyIndex for -cas.' },
    release: { type: 'boolean', doc: 'Release a lock on the key (needs -session).' },
    session: { type: 'string', doc: 'Session for -acquire / -release.' },
  },
  async run({ flags, positionals }, ctx) {
    if (positionals.length === 0) throw new KvCommandError('Error! Missing KEY argument');
    if (positionals.length > 2) throw new KvCommandError(`Error! Too many arguments (expected 1 or 2, got ${positionals.length})`);
    const key = positionals[0] as string;
    let value: Buffer;
    try {
      value = dataArg(positionals[1] ?? '', ctx);
    } catch (err) {
      throw new KvCommandError(`Error! ${(err as Error).message}`);
    }
    if (flags.base64) {
      const text = value.toString('utf8');
      const bad = /[^A-Za-z0-9+/=]/.exec(text) ?? (text.length % 4 !== 0 ? { index: text.length - (text.length % 4) } : null);
      if (bad) throw new KvCommandError(`Error! Cannot base 64 decode data: illegal base64 data at input byte ${bad.index}`);
      value = Buffer.from(text, 'base64');
    }
    const session = typeof flags.session === 'string' ? flags.session : '';
    if ((flags.release || flags.acquire) && session === '') throw new KvCommandError('Error! Missing -session (required with -acquire and -release)');
    const modifyIndex = uintFlag(flags, 'modify-index');
    if (flags.cas && modifyIndex === 0) throw new KvCommandError('Must specify -modify-index with -cas!');
    const kvFlags = uintFlag(flags, 'flags');
    const client = ctx.client();
    if (flags.cas) {
      let ok: boolean;
      try {
        ok = await client.kvPut(key, value, { flags: kvFlags, cas: modifyIndex });
      } catch (err) {
        ctx.err(`Error! Did not write to ${key}: ${apiText(err)}`);
        return 1;
      }
      if (!ok) {
        ctx.err(`Error! Did not write to ${key}: CAS failed`);
        return 1;
      }
      ctx.out(`Success! Data written to: ${key}`);
      return 0;
    }
    const lock = flags.acquire ? 'acquire' : flags.release ? 'release' : undefined;
    let ok: boolean;
    try {
      ok = await client.kvPut(key, value, { flags: kvFlags, ...(lock ? { [lock]: session } : {}) });
    } catch (err) {
      ctx.err(`Error! Failed writing data: ${apiText(err)}`);
      return 1;
    }
    if (lock && !ok) {
      ctx.err(lock === 'acquire' ? 'Error! Did not acquire lock' : 'Error! Did not release lock');
      return 1;
    }
    ctx.out(lock === 'acquire' ? `Success! Lock acquired on: ${key}` : lock === 'release' ? `Success! Lock released on: ${key}` : `Success! Data written to: ${key}`);
    return 0;
  },
};
