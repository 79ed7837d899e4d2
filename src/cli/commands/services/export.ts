// `isthmus services export --name SVC --consumer-peers p1,p2`: adds consumers to the
// exported-services entry, with compare-and-swap so concurrent edits are not lost.
import { ApiError, type ConfigEntry } from '../../../sdk/client.js';
import { UsageError, type Command } from '../../command.js';

const MAX_ATTEMPTS = 5;

function list(v: unknown): string[] {
  return typeof v === 'string' ? v.split(',').map((x) => x.trim()).filter((x) => x !== '') : [];
}

interface Consumer {
  Peer?: string;
  Partition?: string;
}
interface Exported {
  Name: string;
  Namespace?: string;
  Consumers: Consumer[];
}

export const servicesExportCommand: Command = {
  path: ['services', 'export'],
  summary: 'Export a service to cluster peers (edits the exported-services entry)',
  usage: 'isthmus services export --name SVC --consumer-peers p1,p2 [--consumer-partitions a,b] [--namespace NS] [--partition AP]',
  flags: {
    name: { type: 'string', doc: 'Service to export (or * for all).' },
    'consumer-peers': { type: 'string', doc: 'Comma-separated peer names to export to.' },
    'consumer-partitions': { type: 'string', doc: 'Comma-separated partitions to export to (Enterprise).' },
    namespace: { type: 'string', doc: 'Namespace of the service (Enterprise).' },
    partition: { type: 'string', doc: 'Partition the entry belongs to (Enterprise).' },
  },
  async run({ flags }, ctx) {
    const name = flags.name;
    if (typeof name !== 'string' || name === '') throw new UsageError('Missing the required -name flag');
    const peers = list(flags['consumer-peers']);
    const partitions = list(flags['consumer-partitions']);
    if (peers.length === 0 && partitions.length === 0) throw new UsageError('Missing the required -consumer-peers or -consumer-partitions flag');
    const client = ctx.client();
    const entryName = typeof flags.partition === 'string' && flags.partition !== '' ? flags.partition : 'default';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let cur: ConfigEntry | undefined;
      try {
        cur = await client.configRead('exported-services', entryName);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
      const services = ((cur?.Services as Exported[] | undefined) ?? []).map((s) => ({ ...s, Consumers: [...s.Consumers] }));
      const ns = typeof flags.namespace === 'string' && flags.namespace !== '' ? flags.namespace : undefined;
      let svc = services.find((s) => s.Name === name && (s.Namespace ?? '') === (ns ?? ''));
      if (!svc) {
        svc = { Name: name, ...(ns ? { Namespace: ns } : {}), Consumers: [] };
        services.push(svc);
      }
      for (const p of peers) if (!svc.Consumers.some((c) => c.Peer === p)) svc.Consumers.push({ Peer: p });
      for (const p of partitions) if (!svc.Consumers.some((c) => c.Partition === p)) svc.Consumers.push({ Partition: p });
      const entry = { ...(cur ?? {}), Kind: 'exported-services', Name: entryName, Services: services };
      delete (entry as Record<string, unknown>).CreateIndex;
      delete (entry as Record<string, unknown>).ModifyIndex;
      const ok = await client.configWrite(entry, { cas: cur?.ModifyIndex ?? 0 });
      if (ok) {
        const to = [peers.length ? `cluster peers "${peers.join(',')}"` : '', partitions.length ? `partitions "${partitions.join(',')}"` : ''].filter(Boolean).join(' and ');
        ctx.out(`Successfully exported service "${name}" to ${to}`);
        return;
      }
    }
    ctx.err(`Error: services export failed: the exported-services entry kept changing; try again`);
    return 1;
  },
};
