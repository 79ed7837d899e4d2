// `isthmus peering list | read | delete | exported-services`, with Consul's output formats.
import { ApiError, type Peering } from '../../../sdk/client.js';
import type { Command } from '../../command.js';
import { table } from '../../output.js';
import { apiMessage, NAME_FLAG, requireName } from './common.js';

function metaText(meta: Record<string, string> | undefined): string {
  return Object.entries(meta ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const present = <T>(v: T[] | undefined | null): v is T[] => Array.isArray(v) && v.length > 0;

/** A peering as Consul's CLI re-encodes `api.Peering`: its field order, empty optional fields left out. */
export function apiPeering(p: Peering): Record<string, unknown> {
  const s = p.StreamStatus ?? ({} as Peering['StreamStatus']);
  const remote = (p.Remote ?? {}) as Peering['Remote'] & { Locality?: unknown };
  return {
    ID: p.ID,
    Name: p.Name,
    ...(p.Partition ? { Partition: p.Partition } : {}),
    ...(p.DeletedAt ? { DeletedAt: p.DeletedAt } : {}),
    ...(p.Meta && Object.keys(p.Meta).length > 0 ? { Meta: p.Meta } : {}),
    State: p.State,
    ...(p.PeerID ? { PeerID: p.PeerID } : {}),
    ...(present(p.PeerCAPems) ? { PeerCAPems: p.PeerCAPems } : {}),
    ...(p.PeerServerName ? { PeerServerName: p.PeerServerName } : {}),
    ...(present(p.PeerServerAddresses) ? { PeerServerAddresses: p.PeerServerAddresses } : {}),
    StreamStatus: {
      ImportedServices: s.ImportedServices ?? null,
      ExportedServices: s.ExportedServices ?? null,
      LastHeartbeat: s.LastHeartbeat ?? null,
      LastReceive: s.LastReceive ?? null,
      LastSend: s.LastSend ?? null,
    },
    CreateIndex: p.CreateIndex,
    ModifyIndex: p.ModifyIndex,
    Remote: { Partition: remote.Partition ?? '', Datacenter: remote.Datacenter ?? '', ...(remote.Locality ? { Locality: remote.Locality } : {}) },
  };
}

/** Go's time.Time String() for an RFC 3339 timestamp (`2026-12-01 21:32:30.121 +0000 UTC`); `<nil>` when absent. */
export function goTime(iso: string | null | undefined): string {
  if (!iso) return '<nil>';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!m) return iso;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${(m[4] as string).replace(':', '')} ${(m[4] as string).replace(':', '')}`;
  return `${m[1] as string} ${m[2] as string}${frac ? `.${frac}` : ''} ${zone}`;
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
    if (ctx.format === 'json') return void ctx.out(JSON.stringify(list.map(apiPeering)));
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
    else ctx.err(`Error reading peering: ${apiMessage(err)}`);
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
    if (ctx.format === 'json') return void ctx.out(JSON.stringify(apiPeering(p)));
    // Consul's formatPeering, spacing for spacing; blocks appear only when set.
    let b = `Name:         ${p.Name}\nID:           ${p.ID}\n`;
    if (p.Partition) b += `Partition:    ${p.Partition}\n`;
    if (p.DeletedAt) b += `DeletedAt:    ${p.DeletedAt}\n`;
    b += `State:        ${p.State}\n`;
    const meta = Object.entries(p.Meta ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
    if (meta.length > 0) b += `Meta:\n${meta.map(([k, v]) => `    ${k}=${v}\n`).join('')}`;
    b += `\nPeer ID:               ${p.PeerID ?? ''}\nPeer Server Name:      ${p.PeerServerName ?? ''}\nPeer CA Pems:          ${p.PeerCAPems?.length ?? 0}\n`;
    // Consul writes the addresses without newlines between them.
    if (present(p.PeerServerAddresses)) b += `Peer Server Addresses:\n${p.PeerServerAddresses.map((a) => `    ${a}`).join('')}\n`;
    const st = p.StreamStatus ?? ({} as Peering['StreamStatus']);
    b += `\nImported Services: ${st.ImportedServices?.length ?? 0}\nExported Services: ${st.ExportedServices?.length ?? 0}\n`;
    b += `\nLast Heartbeat:    ${goTime(st.LastHeartbeat)}\nLast Send:         ${goTime(st.LastSend)}\nLast Receive:      ${goTime(st.LastReceive)}\n`;
    b += `\nCreate Index: ${p.CreateIndex}\nModify Index: ${p.ModifyIndex}\n`;
    // UI.Output adds its own newline after the block's: the output ends with a blank line.
    ctx.out(`${b}\n`);
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
    if (ctx.format === 'json') return void ctx.out(JSON.stringify(list.map((ID) => ({ ID }))));
    // One name per line; none prints an empty line.
    ctx.out(list.length > 0 ? list.join('\n') : '\n');
  },
};
