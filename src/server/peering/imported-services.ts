// GET /v1/imported-services: what the local partition imports from its peers (Consul CE's bare array).
import { blockingRead, type BlockingReader } from '../http/blocking.js';
import { invalid } from '../../lib/errors.js';
import { queryOne, type Handler } from '../http/request.js';
import { topics } from '../catalog/keys.js';
import type { CatalogReader } from '../catalog/state.js';
import { PEERING_TOPIC } from './service.js';

export interface ImportedService {
  Service: string;
  SourcePeer: string;
}

/** Every service name held in a peer's keyspace, sorted by service then peer. */
export function importedServices(catalog: CatalogReader): ImportedService[] {
  const out: ImportedService[] = [];
  for (const ks of catalog.keyspaces()) {
    if (ks === '') continue;
    for (const name of catalog.serviceNames(ks)) out.push({ Service: name, SourcePeer: ks });
  }
  return out.sort((a, b) => (a.Service === b.Service ? (a.SourcePeer < b.SourcePeer ? -1 : 1) : a.Service < b.Service ? -1 : 1));
}

export function importedServicesHandler(deps: { catalog: CatalogReader; blocking: BlockingReader }): Handler {
  return async (req) => {
    const partition = queryOne(req.query, 'partition');
    if (partition !== undefined && partition !== '' && partition !== 'default') throw invalid('Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature');
    const peerTopics = deps.catalog.keyspaces().filter((ks) => ks !== '').map((ks) => topics.services(ks));
    return blockingRead(deps.blocking, req, [PEERING_TOPIC, ...peerTopics], () => importedServices(deps.catalog));
  };
}
