// `isthmus catalog services`: lists service names (with tags on request).
import type { Command } from '../../command.js';
import { table, toJson } from '../../output.js';

export const catalogServicesCommand: Command = {
  path: ['catalog', 'services'],
  summary: 'List services in the catalog',
  usage: 'isthmus catalog services [--tags] [--peer NAME]',
  flags: {
    tags: { type: 'boolean', doc: 'Show each service’s tags.' },
    peer: { type: 'string', doc: 'List services imported from this peer.' },
  },
  async run({ flags }, ctx) {
    const peer = typeof flags.peer === 'string' ? flags.peer : undefined;
    const services = await ctx.client().catalogServices(peer ? { peer } : {});
    if (ctx.format === 'json') {
      ctx.out(toJson(services));
      return;
    }
    const names = Object.keys(services).sort();
    if (names.length === 0) {
      ctx.err('No services match the given query - try expanding your search.');
      return;
    }
    if (flags.tags) ctx.out(table(['Service', 'Tags'], names.map((n) => [n, (services[n] ?? []).join(',')])));
    else ctx.out(names.join('\n'));
  },
};
