// `isthmus catalog nodes [-service S] [-detailed] [-node-meta k=v] [-filter E]` and `catalog datacenters`.
import type { CatalogNode } from '../../../sdk/client.js';
import type { Command } from '../../command.js';
import { table, toJson } from '../../output.js';
import { apiMessage } from '../peering/common.js';

/** Consul's mapToKV: `k=v` pairs sorted by key. */
function kv(m: Record<string, string> | null | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${(m as Record<string, string>)[k] as string}`)
    .join(', ');
}

export const catalogNodesCommand: Command = {
  path: ['catalog', 'nodes'],
  summary: 'List nodes in the catalog',
  usage: 'isthmus catalog nodes [-service NAME] [-detailed] [-node-meta k=v]... [-filter EXPR] [-peer NAME]',
  flags: {
    service: { type: 'string', doc: 'Only nodes providing this service.' },
    detailed: { type: 'boolean', doc: 'Full node IDs, tagged addresses and meta.' },
    'node-meta': { type: 'string', multiple: true, doc: 'Only nodes with this key:value meta; repeatable.' },
    near: { type: 'string', doc: 'Sort by distance to this node (accepted; Isthmus keeps no coordinates).' },
    filter: { type: 'string', doc: 'A filter expression applied by the server.' },
    peer: { type: 'string', doc: 'List nodes imported from this peer (Isthmus).' },
  },
  async run({ flags }, ctx) {
    const client = ctx.client();
    const nodeMeta = (flags['node-meta'] as string[] | undefined)?.map((p) => p.replace('=', ':'));
    const filter = typeof flags.filter === 'string' && flags.filter !== '' ? flags.filter : undefined;
    let nodes: CatalogNode[];
    try {
      if (typeof flags.service === 'string' && flags.service !== '') {
        const inst = await client.catalogService(flags.service, { ...(nodeMeta ? { 'node-meta': nodeMeta } : {}), ...(filter ? { filter } : {}) });
        nodes = inst.map((s) => ({ ID: s.ID, Node: s.Node, Address: s.Address, Datacenter: s.Datacenter, TaggedAddresses: s.TaggedAddresses ?? {}, Meta: s.NodeMeta ?? {}, CreateIndex: 0, ModifyIndex: 0 }));
      } else {
        const peer = typeof flags.peer === 'string' && flags.peer !== '' ? flags.peer : undefined;
        nodes = await client.catalogNodes({ ...(peer ? { peer } : {}), ...(nodeMeta ? { 'node-meta': nodeMeta } : {}), ...(filter ? { filter } : {}) });
      }
    } catch (err) {
      ctx.err(`Error listing nodes: ${apiMessage(err)}`);
      return 1;
    }
    if (ctx.format === 'json') return void ctx.out(toJson(nodes));
    if (nodes.length === 0) {
      ctx.err('No nodes match the given query - try expanding your search.');
      return 0;
    }
    if (flags.detailed) {
      ctx.out(table(['Node', 'ID', 'Address', 'DC', 'TaggedAddresses', 'Meta'], nodes.map((n) => [n.Node, n.ID, n.Address, n.Datacenter, kv(n.TaggedAddresses), kv(n.Meta)])));
      return;
    }
    // The ID is shortened to its first group.
    ctx.out(table(['Node', 'ID', 'Address', 'DC'], nodes.map((n) => [n.Node, n.ID.indexOf('-') > 0 ? n.ID.slice(0, n.ID.indexOf('-')) : n.ID, n.Address, n.Datacenter])));
  },
};

export const catalogDatacentersCommand: Command = {
  path: ['catalog', 'datacenters'],
  summary: 'List the known datacenters',
  usage: 'isthmus catalog datacenters',
  flags: {},
  async run(_args, ctx) {
    let dcs: string[];
    try {
      dcs = await ctx.client().datacenters();
    } catch (err) {
      ctx.err(`Error listing datacenters: ${apiMessage(err)}`);
      return 1;
    }
    if (dcs.length === 0) {
      ctx.err('No datacenters found');
      return 0;
    }
    ctx.out(dcs.join('\n'));
  },
};
