// `isthmus services exported-services` and `services imported-services`: Consul's tables, 4-space
// JSON in Consul's key order, `-filter` applied client-side, and the "none found" lines.
import { compileFilter } from '../../../lib/filter.js';
import type { Command, CommandContext } from '../../command.js';
import { table } from '../../output.js';
import { apiMessage } from '../peering/common.js';

const FILTER = { type: 'string', doc: 'A filter expression (Consul bexpr) applied to each entry.' } as const;

function applyFilter<T>(items: T[], flags: Record<string, unknown>, ctx: CommandContext, what: string): T[] | undefined {
  const expr = flags.filter;
  if (typeof expr !== 'string' || expr === '') return items;
  try {
    return items.filter(compileFilter(expr));
  } catch (err) {
    ctx.err(`Error filtering ${what}: ${(err as Error).message}`);
    return undefined;
  }
}

export const servicesExportedServicesCommand: Command = {
  path: ['services', 'exported-services'],
  summary: 'List exported services and their consumers',
  usage: 'isthmus services exported-services [-format pretty|json] [-filter EXPR]',
  flags: { filter: FILTER },
  async run({ flags }, ctx) {
    let raw;
    try {
      raw = await ctx.client().exportedServices();
    } catch (err) {
      ctx.err(`Error reading exported services: ${apiMessage(err)}`);
      return 1;
    }
    // Consul's api.ResolvedExportedService field order; empty optional fields left out.
    const all = raw.map((s) => {
      const e = s as typeof s & { Partition?: string; Namespace?: string };
      return {
        Service: s.Service,
        ...(e.Partition ? { Partition: e.Partition } : {}),
        ...(e.Namespace ? { Namespace: e.Namespace } : {}),
        Consumers: {
          ...(s.Consumers?.Peers?.length ? { Peers: s.Consumers.Peers } : {}),
          ...(s.Consumers?.Partitions?.length ? { Partitions: s.Consumers.Partitions } : {}),
        },
      };
    });
    const list = applyFilter(all, flags, ctx, 'exported services');
    if (!list) return 1;
    if (list.length === 0) return void ctx.out('No exported services found');
    if (ctx.format === 'json') return void ctx.out(JSON.stringify(list, null, 4));
    ctx.out(table(['Service', 'Consumer Peers'], list.map((s) => [s.Service, (s.Consumers.Peers ?? []).join(', ')])));
  },
};

export const servicesImportedServicesCommand: Command = {
  path: ['services', 'imported-services'],
  summary: 'List services imported from cluster peers',
  usage: 'isthmus services imported-services [-format pretty|json] [-filter EXPR]',
  flags: { filter: FILTER },
  async run({ flags }, ctx) {
    let raw;
    try {
      raw = await ctx.client().importedServices();
    } catch (err) {
      ctx.err(`Error reading imported services: ${apiMessage(err)}`);
      return 1;
    }
    const all = raw.map((s) => ({
      Service: s.Service,
      ...(s.Partition ? { Partition: s.Partition } : {}),
      ...(s.Namespace ? { Namespace: s.Namespace } : {}),
      ...(s.SourcePeer ? { SourcePeer: s.SourcePeer } : {}),
      ...(s.SourcePartition ? { SourcePartition: s.SourcePartition } : {}),
    }));
    const list = applyFilter(all, flags, ctx, 'imported services');
    if (!list) return 1;
    if (list.length === 0) return void ctx.out('No imported services found');
    if (ctx.format === 'json') return void ctx.out(JSON.stringify(list, null, 4));
    ctx.out(table(['Service', 'Source Peer'], list.map((s) => [s.Service, s.SourcePeer ?? ''])));
  },
};
