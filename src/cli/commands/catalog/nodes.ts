// `isthmus catalog nodes`: lists nodes with their IDs and addresses.
import type { Command } from '../../command.js';
import { table, toJson } from '../../output.js';

export const catalogNodesCommand: Command = {
  path: ['catalog', 'nodes'],
  summary: 'List nodes in the catalog',
  usage: 'isthmus catalog nodes [--peer NAME]',
  flags: { peer: { type: 'string', doc: 'List nodes imported from this peer.' } },
  async run({ flags }, ctx) {
    const peer = typeof flags.peer === 'string' ? flags.peer : undefined;
    const nodes = await ctx.client().catalogNodes(peer ? { peer } : {});
    if (ctx.format === 'json') {
      ctx.out(toJson(nodes));
      return;
    }
    if (nodes.length === 0) return;
    ctx.out(table(['Node', 'ID', 'Address', 'DC'], nodes.map((n) => [n.Node, n.ID.slice(0, 8), n.Address, n.Datacenter])));
  },
};
