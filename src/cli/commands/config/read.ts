// `isthmus config read|list|delete`: one config entry, the names of a kind, or removal.
import { UsageError, type Command, type FlagSpec } from '../../command.js';
import { toJson } from '../../output.js';
import { apiMessage } from '../peering/common.js';

const KIND: FlagSpec = { type: 'string', doc: 'Config entry kind, e.g. exported-services.' };
const NAME: FlagSpec = { type: 'string', doc: 'Config entry name.' };

function need(flags: Record<string, unknown>, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`Must specify the -${name} parameter`);
  return v;
}

export const configReadCommand: Command = {
  path: ['config', 'read'],
  summary: 'Read one config entry',
  usage: 'isthmus config read --kind KIND --name NAME',
  flags: { kind: KIND, name: NAME },
  async run({ flags }, ctx) {
    const kind = need(flags, 'kind');
    const name = need(flags, 'name');
    try {
      // Consul prints the entry with a 4-space indent, keys in the order the API gives them.
      ctx.out(JSON.stringify(await ctx.client().configRead(kind, name), null, 4));
    } catch (err) {
      ctx.err(`Error reading config entry ${kind}/${name}: ${apiMessage(err)}`);
      return 1;
    }
  },
};

export const configListCommand: Command = {
  path: ['config', 'list'],
  summary: 'List the config entries of a kind',
  usage: 'isthmus config list --kind KIND',
  flags: { kind: KIND },
  async run({ flags }, ctx) {
    const list = await ctx.client().configList(need(flags, 'kind'));
    if (ctx.format === 'json') ctx.out(toJson(list));
    else if (list.length > 0) ctx.out(list.map((e) => e.Name).join('\n'));
  },
};

export const configDeleteCommand: Command = {
  path: ['config', 'delete'],
  summary: 'Delete a config entry',
  usage: 'isthmus config delete --kind KIND --name NAME',
  flags: { kind: KIND, name: NAME },
  async run({ flags }, ctx) {
    const kind = need(flags, 'kind');
    const name = need(flags, 'name');
    await ctx.client().configDelete(kind, name);
    ctx.out(`Config entry deleted: ${kind}/${name}`);
  },
};
