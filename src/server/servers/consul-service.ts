// The `consul` service every server registers in its datacenter's catalog (consul-tools.md §3), so
// `consul.service.consul` and `/v1/catalog/service/consul` find the servers. It lives only in the
// catalog (not among the agent's own services) and is never exported to peers (peering/exports.ts).
import type { CatalogService } from '../catalog/service.js';
import type { ServiceRecord } from '../catalog/types.js';

export const CONSUL_SERVICE = 'consul';

export interface ServerIdentity {
  /** The server's node name (already registered by the agent). */
  nodeName: string;
  /** Server RPC port (Consul's 8300). */
  serverPort: number;
  /** The Consul version this server is compatible with. */
  version: string;
  /** Plaintext and TLS gRPC ports; a key is present only when that listener runs. */
  grpcPort?: number;
  grpcTlsPort?: number;
  readReplica?: boolean;
}

/** The service record Consul's leader writes for one alive server. */
export function consulServiceRecord(s: ServerIdentity): ServiceRecord {
  const meta: Record<string, string> = {
    non_voter: 'false',
    read_replica: String(s.readReplica ?? false),
    raft_version: '3',
    serf_protocol_current: '2',
    serf_protocol_min: '1',
    serf_protocol_max: '5',
    version: s.version,
  };
  if (s.grpcPort) meta.grpc_port = String(s.grpcPort);
  if (s.grpcTlsPort) meta.grpc_tls_port = String(s.grpcTlsPort);
  return {
    Node: s.nodeName,
    Kind: '',
    ID: CONSUL_SERVICE,
    Service: CONSUL_SERVICE,
    Tags: [],
    Address: '',
    TaggedAddresses: {},
    Meta: meta,
    Port: s.serverPort,
    SocketPath: '',
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
    PeerName: '',
  };
}

/** Registers (or refreshes) the `consul` service of one server; a no-op write when nothing changed. */
export async function registerConsulService(catalog: CatalogService, s: ServerIdentity): Promise<void> {
  await catalog.register({ nodeName: s.nodeName, service: consulServiceRecord(s), checks: [] });
}

/** True for the servers' own registration (kept out of the agent's local service list). */
export function isConsulService(svc: Pick<ServiceRecord, 'ID' | 'Service'>): boolean {
  return svc.ID === CONSUL_SERVICE && svc.Service === CONSUL_SERVICE;
}
