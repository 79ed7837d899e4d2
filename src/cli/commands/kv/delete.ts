// `isthmus kv delete [-recurse] [-cas -modify-index N] KEY_OR_PREFIX` (Consul's kv delete).
import type { Command } from '../../command.js';
import { apiText, KvCommandError, keyArg, uintFlag } from './common.js';

export const kvDeleteCommand: Command = {
  path: ['kv', 'delete'],
  summary: 'Remove data from the KV store',
  usage: 'isthmus kv delete [options] KEY_OR_PREFIX',
  positionals: [0, 99],
  flags: {
    cas: { type: 'boolean', doc: 'Delete only if -modify-index still matches.' },
    'modify-index': { type: 'string', doc: 'ModifyIndex for -cas.' },
    recurse: { type: 'boolean', doc: 'Delete every key under the prefix.' },
  },
  async run({ flags, positionals }, ctx) {
    const key = keyArg(positionals);
    if (key === '' && !flags.recurse) throw new KvCommandError('Error! Missing KEY argument');
    const modifyIndex = uintFlag(flags, 'modify-index');
    if (flags.cas && modifyIndex === 0) throw new KvCommandError('Must specify -modify-index with -cas!');
    // Consul prints this one and carries on.
    if (modifyIndex !== 0 && !flags.cas) ctx.err('Cannot specify -modify-index without -cas!');
    if (flags.recurse && flags.cas) throw new KvCommandError('Cannot specify both -cas and -recurse!');
    const client = ctx.client();
    if (flags.recurse) {
      try {
        await client.kvDelete(key, { recurse: true });
      } catch (err) {
        ctx.err(`Error! Did not delete prefix ${key}: ${apiText(err)}`);
        return 1;
      }
      ctx.out(`Success! Deleted keys with prefix: ${key}`);
      return 0;
    }
    if (flags.cas) {
      let ok: boolean;
      try {
        ok = await client.kvDelete(key, { cas: modifyIndex });
      } catch (err) {
        ctx.err(`Error! Did not delete key ${key}: ${apiText(err)}`);
        return 1;
      }
      if (!ok) {
        ctx.err(`Error! Did not delete key ${key}: CAS failed`);
        return 1;
      }
      ctx.out(`Success! Deleted key: ${key}`);
      return 0;
    }
    try {
      await client.kvDelete(key);
    } catch (err) {
      ctx.err(`Error deleting key ${key}: ${apiText(err)}`);
      return 1;
    }
    ctx.out(`Success! Deleted key: ${key}`);
    return 0;
  },
};
