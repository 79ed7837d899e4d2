// Resource type URLs of the peer stream (spec §4.3) and conversions between wire and catalog records.
import type { CheckServiceNode } from '../../gen/hashicorp/consul/internal/service/service_pb.js';
import type { ImportedInstance } from '../catalog/service.js';
import type { CheckStatus } from '../catalog/types.js';
import { setOwn } from '../../lib/safe-object.js';

export const URL_EXPORTED_SERVICE = 'type.googleapis.com/hashicorp.consul.internal.peerstream.ExportedService';
export const URL_EXPORTED_SERVICE_LIST = 'type.googleapis.com/hashicorp.consul.internal.peerstream.ExportedServiceList';
export const URL_TRUST_BUNDLE = 'type.googleapis.com/hashicorp.consul.internal.peering.PeeringTrustBundle';
export const URL_SERVER_ADDRESSES = 'type.googleapis.com/hashicorp.consul.internal.peering.PeeringServerAddresses';
export const KNOWN_URLS = new Set([URL_EXPORTED_SERVICE, URL_EXPORTED_SERVICE_LIST, URL_TRUST_BUNDLE, URL_SERVER_ADDRESSES]);

export const ID_SERVICE_LIST = 'exported-service-list';
export const ID_ROOTS = 'roots';
export const ID_SERVER_ADDRS = 'server-addrs';

/** `%08x` of a per-stream counter starting at 1. */
export function formatNonce(n: number): string {
  return n.toString(16).padStart(8, '0');
}

const STATUSES = new Set(['passing', 'warning', 'critical']);

/** An imported instance, stored under the peer's keyspace; unknown statuses count as critical. */
export function fromWire(csn: CheckServiceNode, peer: string): ImportedInstance {
  const n = csn.Node;
  const s = csn.Service;
  if (!n || !s) throw new Error('instance without Node or Service');
  if (!n.Node) throw new Error('instance node has no name');
  if (!s.ID && !s.Service) throw new Error('instance service has neither ID nor name');
  const tagged: Record<string, { Address: string; Port: number }> = {};
  for (const [k, v] of Object.entries(s.TaggedAddresses)) setOwn(tagged, k, { Address: v.Address, Port: v.Port });
  return {
    node: { ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter, TaggedAddresses: { ...n.TaggedAddresses }, Meta: { ...n.Meta }, PeerName: peer },
    service: {
      Node: n.Node,
      Kind: s.Kind,
      ID: s.ID || s.Service,
      Service: s.Service,
      Tags: [...s.Tags],
      Address: s.Address,
      TaggedAddresses: tagged,
      Meta: { ...s.Meta },
      Port: s.Port,
      SocketPath: s.SocketPath,
      Weights: { Passing: s.Weights?.Passing ?? 1, Warning: s.Weights?.Warning ?? 1 },
      EnableTagOverride: s.EnableTagOverride,
      ...(s.Proxy ? { Proxy: { DestinationServiceName: s.Proxy.DestinationServiceName, DestinationServiceID: s.Proxy.DestinationServiceID } } : {}),
      ...(s.Connect?.PeerMeta ? { Connect: { PeerMeta: { SNI: [...s.Connect.PeerMeta.SNI], SpiffeID: [...s.Connect.PeerMeta.SpiffeID], Protocol: s.Connect.PeerMeta.Protocol } } } : {}),
      PeerName: peer,
    },
    checks: csn.Checks.map((c) => ({
      Node: n.Node,
      CheckID: c.CheckID,
      Name: c.Name,
      Status: (STATUSES.has(c.Status) ? c.Status : 'critical') as CheckStatus,
      Notes: c.Notes,
      Output: c.Output,
      ServiceID: c.ServiceID,
      ServiceName: c.ServiceName,
      ServiceTags: [...c.ServiceTags],
      Type: c.Type,
      ExposedPort: 0,
      Definition: {},
      PeerName: peer,
    })),
  };
}
