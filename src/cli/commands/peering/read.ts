// `isthmus peering list | read | delete | exported-services` (spec §12).
import { ApiError, type Peering } from '../../../sdk/client.js';
import type { Command } from '../../command.js';
import { table, toJson } from '../../output.js';
import { apiMessage, NAME_FLAG, requireName } from './common.js';

function metaText(meta: Record<string, string> | undefined): string {
  return Object.entries(meta ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export const peeringListCommand: Command = {
  path: ['peering', 'list'],
  summary: 'List peerings',
  usage: 'isthmus peering list [--format pretty|json]',
  flags: {},
  async run(_args, ctx) {
    let list: Peering[];
    try {
      list = await ctx.client().peeringList();
    } catch (err) {
      ctx.err(`Error listing peerings: ${apiMessage(err)}`);
      return 1;
    }
    list.sort((a, b) => a.Name.localeCompare(b.Name));
    if (ctx.format === 'json') return void ctx.out(toJson(list));
    if (list.length === 0) return void ctx.out('There are no peering connections.');
    ctx.out(
      table(
        ['Name', 'State', 'Imported Svcs', 'Exported Svcs', 'Meta'],
        list.map((p) => [p.Name, p.State, String(p.StreamStatus.ImportedServices?.length ?? 0), String(p.StreamStatus.ExportedServices?.length ?? 0), metaText(p.Meta)]),
      ),
    );
  },
};

async function readOrReport(name: string, ctx: Parameters<Command['run']>[1]): Promise<Peering | undefined> {
  try {
    return await ctx.client().peeringRead(name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) ctx.err(`No peering with name ${name} found.`);
    else ctx.err(`Error reading peering ${name}: ${apiMessage(err)}`);
    return undefined;
  }
}

export const peeringReadCommand: Command = {
  path: ['peering', 'read'],
  summary: 'Show one peering',
  usage: 'isthmus peering read --name NAME [--format pretty|json]',
  flags: { name: NAME_FLAG },
  async run({ flags }, ctx) {
    const name = requireName(flags);
    const p = await readOrReport(name, ctx);
    if (!p) return 1;
    if (ctx.format === 'json') return void ctx.out(toJson(p));
    const lines = [`Name:         ${p.Name}`, `ID:           ${p.ID}`];
    if (p.Partition) lines.push(`Partition:    ${p.Partition}`);
    if (p.DeletedAt) lines.push(`DeletedAt:    ${p.DeletedAt}`);
    lines.push(`State:        ${p.State}`);
    const meta = Object.entries(p.Meta ?? {});
    if (meta.length) lines.push('Meta:', ...meta.map(([k, v]) => `    ${k}=${v}`));
    lines.push(
      '',
      `Peer ID:               ${p.PeerID ?? ''}`,
      `Peer Server Name:      ${p.PeerServerName ?? ''}`,
      `Peer CA Pems:          ${p.PeerCAPems?.length ?? 0}`,
      'Peer Server Addresses:',
      ...(p.PeerServerAddresses ?? []).map((a) => `    ${a}`),
      '',
      `Imported Services: ${p.StreamStatus.ImportedServices?.length ?? 0}`,
      `Exported Services: ${p.StreamStatus.ExportedServices?.length ?? 0}`,
      '',
      `Last Heartbeat:    ${p.StreamStatus.LastHeartbeat ?? ''}`,
      `Last Send:         ${p.StreamStatus.LastSend ?? ''}`,
      `Last Receive:      ${p.StreamStatus.LastReceive ?? ''}`,
      '',
      `Create Index: ${p.CreateIndex}`,
      `Modify Index: ${p.ModifyIndex}`,
    );
    ctx.out(lines.join('\n'));
  },
};

export const peeringDeleteCommand: Command = {
  path: ['peering', 'delete'],
  summary: 'Delete a peering (asynchronously)',
  usage: 'isthmus peering delete --name NAME',
  flags: { name: NAME_FLAG },
  async run({ flags }, ctx) {
    const name = requireName(flags);
    try {
      await ctx.client().peeringDelete(name);
    } catch (err) {
      ctx.err(`Error deleting peering for ${name}: ${apiMessage(err)}`);
      return 1;
    }
    ctx.out(`Successfully submitted peering connection, ${name}, for deletion`);
  },
};

export const peeringExportedServicesCommand: Command = {
  path: ['peering', 'exported-services'],
  summary: 'List the services exported to a peer',
  usage: 'isthmus peering exported-services --name NAME [--format pretty|json]',
  flags: { name: NAME_FLAG },
  async run({ flags }, ctx) {
    const name = requireName(flags);
    const p = await readOrReport(name, ctx);
    if (!p) return 1;
    const list = p.StreamStatus.ExportedServices ?? [];
    if (ctx.format === 'json') return void ctx.out(toJson(list));
    if (list.length > 0) ctx.out(list.join('\n'));
  },
};

export const servicesExportedServicesCommand: Command = {
  path: ['services', 'exported-services'],
  summary: 'List exported services and their consumers',
  usage: 'isthmus services exported-services [--format pretty|json]',
  flags: {},
  async run(_args, ctx) {
    let list;
    try {
      list = await ctx.client().exportedServices();
    } catch (err) {
      ctx.err(`Error reading exported services: ${apiMessage(err)}`);
      return 1;
    }
    if (ctx.format === 'json') return void ctx.out(toJson(list));
    if (list.length === 0) return void ctx.out('No exported services found');
    ctx.out(table(['Service', 'Consumer Peers'], list.map((s) => [s.Service, (s.Consumers.Peers ?? []).join(', ')])));
  },
};
