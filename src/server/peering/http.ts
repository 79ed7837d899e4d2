// Thin HTTP handlers for /v1/peering*, /v1/peerings, /v1/exported-services (spec §1).
import { IsthmusError, invalid, notFound } from '../../lib/errors.js';
import type { ObjectSchema } from '../../lib/json-decode.js';
import { blockingRead, type BlockingReader } from '../http/blocking.js';
import type { Handler, HttpRequest, HttpResult } from '../http/request.js';
import { decodeBody, queryOne } from '../http/request.js';
import { serviceSummary } from '../catalog/connect.js';
import type { CatalogReader } from '../catalog/state.js';
import { exportedNamesFor, type ExportedServiceRule } from './exports.js';
import { renderPeering } from './render.js';
import { PEERING_TOPIC, type PeeringService } from './service.js';

const GENERATE_SCHEMA: ObjectSchema = {
  name: 'PeeringGenerateTokenRequest',
  fields: { PeerName: 'string', Partition: 'string', Meta: { map: 'string' }, ServerExternalAddresses: { array: 'string' }, Datacenter: 'string', Token: 'string' },
};
const ESTABLISH_SCHEMA: ObjectSchema = {
  name: 'PeeringEstablishRequest',
  fields: { PeerName: 'string', PeeringToken: 'string', Partition: 'string', Meta: { map: 'string' }, Datacenter: 'string', Token: 'string' },
};

function body<T>(req: HttpRequest, schema: ObjectSchema): T {
  if (req.body.trim() === '') throw invalid('The peering arguments must be provided in the body');
  return decodeBody<T>(req, schema, 'Body decoding failed');
}

function partitionCheck(req: HttpRequest, bodyPartition?: string): void {
  const p = bodyPartition || queryOne(req.query, 'partition') || '';
  if (p !== '' && p !== 'default') throw invalid('Partitions are a Consul Enterprise feature');
}

export interface PeeringHttpDeps {
  peering: PeeringService;
  blocking: BlockingReader;
  catalog: CatalogReader;
  exportRules: () => ExportedServiceRule[];
  /** Topics an exported-services answer depends on (local catalog, the exported-services entry). */
  exportTopics: readonly string[];
  enabled: boolean;
  /** Several servers: the leader's answer (live stream status lives there), or undefined on the leader. */
  forward?: (req: HttpRequest) => Promise<HttpResult | undefined>;
}

export function peeringHandlers(deps: PeeringHttpDeps): Record<string, Handler> {
  const { peering, blocking } = deps;
  const on = (h: Handler): Handler => async (req) => {
    if (!deps.enabled) throw new IsthmusError('FAILED_PRECONDITION', 'peering must be enabled to use this endpoint');
    return (await deps.forward?.(req)) ?? h(req);
  };
  return {
    generateToken: on(async (req) => {
      const b = body<{ PeerName?: string; Partition?: string; Meta?: Record<string, string>; ServerExternalAddresses?: string[] }>(req, GENERATE_SCHEMA);
      if (!b.PeerName) throw invalid('PeerName is required in the payload when generating a new peering token.');
      partitionCheck(req, b.Partition);
      return { json: { PeeringToken: await peering.generateToken(b) } };
    }),

    establish: on(async (req) => {
      const b = body<{ PeerName?: string; PeeringToken?: string; Partition?: string; Meta?: Record<string, string> }>(req, ESTABLISH_SCHEMA);
      if (!b.PeerName) throw invalid('PeerName is required in the payload when establishing a peering.');
      if (!b.PeeringToken) throw invalid('PeeringToken is required in the payload when establishing a peering.');
      partitionCheck(req, b.Partition);
      await peering.establish(b);
      return { json: {} };
    }),

    readEmpty: on(async () => {
      throw invalid('Must specify a name to fetch.');
    }),

    read: on(async (req) => {
      const name = req.params.name ?? '';
      partitionCheck(req);
      if (!peering.byName(name)) throw notFound(`Peering not found for "${name}"`);
      return blockingRead(blocking, req, [`peering|${name}`], () => {
        const p = peering.byName(name);
        return p ? renderPeering(p, peering.tracker.get(p.value.ID)) : null;
      }, { cache: false, effectiveConsistency: false });
    }),

    delete: on(async (req) => {
      partitionCheck(req);
      await peering.delete(req.params.name ?? '');
      return {};
    }),

    list: on(async (req) => {
      partitionCheck(req);
      return blockingRead(blocking, req, [PEERING_TOPIC], () => peering.list().map((p) => renderPeering(p, peering.tracker.get(p.value.ID))), { cache: false, effectiveConsistency: false });
    }),

    exportedServices: async (req) => {
      partitionCheck(req);
      return blockingRead(blocking, req, deps.exportTopics, () => {
        const rules = deps.exportRules();
        const local = [...deps.catalog.serviceTags('').keys()];
        const peers = new Set(rules.flatMap((r) => r.Consumers.map((c) => c.Peer ?? '')).filter((p) => p !== ''));
        const byService = new Map<string, Set<string>>();
        for (const peer of peers) for (const name of exportedNamesFor(rules, peer, local)) (byService.get(name) ?? byService.set(name, new Set()).get(name))?.add(peer);
        return [...byService.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([Service, ps]) => ({ Service, Consumers: { Peers: [...ps].sort() } }));
      }, { effectiveConsistency: false });
    },

    uiExportedServices: async (req) => {
      const peer = queryOne(req.query, 'peer') ?? '';
      return blockingRead(blocking, req, deps.exportTopics, () => {
        const names = peer ? exportedNamesFor(deps.exportRules(), peer, [...deps.catalog.serviceTags('').keys()]) : [];
        return names.map((name) => serviceSummary(name, deps.catalog.healthService('', name)));
      }, { effectiveConsistency: false });
    },
  };
}
