// `isthmus members [-detailed] [-status REGEX] [-segment S]`: Consul's members table from /v1/agent/members.
import type { Member } from '../../sdk/client.js';
import type { Command } from '../command.js';
import { table } from '../output.js';
import { apiMessage } from './peering/common.js';

const STATUS = ['none', 'alive', 'leaving', 'left', 'failed'];

/** Consul exits 2 when no member matches the filters. */
const EXIT_NO_MATCH = 2;

export const membersCommand: Command = {
  path: ['members'],
  summary: 'List the members of the cluster',
  usage: 'isthmus members [-detailed] [-status REGEX] [-segment NAME] [-wan]',
  flags: {
    detailed: { type: 'boolean', doc: 'Show all tags of each member.' },
    status: { type: 'string', doc: 'Only members whose status matches this regular expression.' },
    segment: { type: 'string', doc: 'Only members of this network segment.' },
    wan: { type: 'boolean', doc: 'List the WAN members (the servers).' },
  },
  async run({ flags }, ctx) {
    let statusRe: RegExp;
    try {
      statusRe = new RegExp(typeof flags.status === 'string' ? flags.status : '.*');
    } catch (err) {
      ctx.err(`Failed to compile status regexp: ${(err as Error).message}`);
      return 1;
    }
    let members: Member[];
    try {
      members = await ctx.client().members(flags.wan ? { wan: true } : {});
    } catch (err) {
      ctx.err(`Error retrieving members: ${apiMessage(err)}`);
      return 1;
    }
    const server = (m: Member): boolean => m.Tags.role === 'consul';
    const segment = (m: Member): string => (server(m) ? '<all>' : m.Tags.segment ? m.Tags.segment : '<default>');
    const wanted = typeof flags.segment === 'string' && flags.segment !== '' ? flags.segment : undefined;
    const shown = members
      .filter((m) => statusRe.test(STATUS[m.Status] ?? 'none') && (!wanted || segment(m) === wanted || server(m)))
      .sort((a, b) => (server(a) !== server(b) ? (server(a) ? -1 : 1) : a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    if (shown.length === 0) return EXIT_NO_MATCH;
    const addr = (m: Member): string => `${m.Addr.includes(':') ? `[${m.Addr}]` : m.Addr}:${m.Port}`;
    if (flags.detailed) {
      const tags = (m: Member): string =>
        Object.keys(m.Tags)
          .sort()
          .map((k) => `${k}=${m.Tags[k] as string}`)
          .join(',');
      ctx.out(table(['Node', 'Address', 'Status', 'Tags'], shown.map((m) => [m.Name, addr(m), STATUS[m.Status] ?? 'none', tags(m)])));
      return;
    }
    ctx.out(
      table(
        ['Node', 'Address', 'Status', 'Type', 'Build', 'Protocol', 'DC', 'Partition', 'Segment'],
        shown.map((m) => [m.Name, addr(m), STATUS[m.Status] ?? 'none', server(m) ? 'server' : 'client', (m.Tags.build ?? '').split(':')[0] as string, m.Tags.vsn ?? '', m.Tags.dc ?? '', 'default', segment(m)]),
      ),
    );
  },
};
