// `isthmus kv get [-recurse|-keys] [-separator /] [-detailed] [-base64] [KEY]` (Consul's kv get).
import type { Command } from '../../command.js';
import { apiText, detailed, KvCommandError, keyArg } from './common.js';

export const kvGetCommand: Command = {
  path: ['kv', 'get'],
  summary: 'Retrieve or list data from the KV store',
  usage: 'isthmus kv get [options] [KEY_OR_PREFIX]',
  positionals: [0, 99],
  flags: {
    base64: { type: 'boolean', doc: 'Base64-encode the value.' },
    detailed: { type: 'boolean', doc: 'Show all metadata of the pair.' },
    keys: { type: 'boolean', doc: 'List keys under the prefix instead of values.' },
    recurse: { type: 'boolean', doc: 'Get every pair under the prefix.' },
    separator: { type: 'string', doc: 'With -keys: list only up to this separator (default "/").' },
  },
  async run({ flags, positionals }, ctx) {
    const key = keyArg(positionals);
    if (key === '' && !(flags.recurse || flags.keys)) throw new KvCommandError('Error! Missing KEY argument');
    const client = ctx.client();
    const b64 = flags.base64 === true;
    try {
      if (flags.keys) {
        const sep = typeof flags.separator === 'string' ? flags.separator : '/';
        for (const k of await client.kvKeys(key, sep)) ctx.out(k);
        return 0;
      }
      if (flags.recurse) {
        const pairs = await client.kvList(key);
        pairs.forEach((p, i) => {
          if (flags.detailed) {
            ctx.out(`${detailed(p, b64)}\n`);
            if (i < pairs.length - 1) ctx.out('');
          } else ctx.out(`${p.Key}:${b64 ? p.Value.toString('base64') : p.Value.toString('utf8')}\n`);
        });
        return 0;
      }
      const pair = await client.kvGet(key);
      if (!pair) {
        ctx.err(`Error! No key exists at: ${key}`);
        return 1;
      }
      // Every line ends in exactly one added newline, as Consul's UI.Info writes it (a value's own trailing newline stays).
      ctx.out(`${flags.detailed ? detailed(pair, b64) : b64 ? pair.Value.toString('base64') : pair.Value.toString('utf8')}\n`);
      return 0;
    } catch (err) {
      if (err instanceof KvCommandError) throw err;
      ctx.err(`Error querying Consul agent: ${apiText(err)}`);
      return 1;
    }
  },
};
