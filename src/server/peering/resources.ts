// Resource type URLs of the peer stream (spec §4.3) and conversions between wire and catalog records.
import type { ImportedInstance } from '../catalog/service.js';
import type { CheckStatus } from '../catalog/types.js';
import type { WireInstance } from './import-decode.js';
import { StringPool } from '../../lib/intern.js';
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

/**
 * Values repeated across imported records (datacenter, names, tags, statuses, meta) share one
 * string: the decoder makes a fresh copy of each, and a bulk import keeps hundreds of thousands.
 */
const pool = new StringPool();
const s = (v: string): string => pool.intern(v);
const list = (v: readonly string[]): string[] => v.map(s);

/** An imported instance, stored under the peer's keyspace; unknown statuses count as critical. */
export function fromWire(csn: WireInstance, peer: string): ImportedInstance {
  const n = csn.Node;
  const svc = csn.Service;
  if (!n || !svc) throw new Error('instance without Node or Service');
  if (!n.Node) throw new Error('instance node has no name');
  if (!svc.ID && !svc.Service) throw new Error('instance service has neither ID nor name');
  const tagged: Record<string, { Address: string; Port: number }> = {};
  for (const [k, v] of Object.entries(svc.TaggedAddresses)) setOwn(tagged, k, { Address: v.Address, Port: v.Port });
  peer = s(peer);
  const nodeName = n.Node;
  return {
    node: { ID: n.ID, Node: nodeName, Address: n.Address, Datacenter: s(n.Datacenter), TaggedAddresses: pool.internRecord(n.TaggedAddresses), Meta: pool.internRecord(n.Meta), PeerName: peer },
    service: {
      Node: nodeName,
      Kind: s(svc.Kind),
      ID: svc.ID || svc.Service,
      Service: s(svc.Service),
      Tags: list(svc.Tags),
      Address: svc.Address,
      TaggedAddresses: tagged,
      Meta: pool.internRecord(svc.Meta),
      Port: svc.Port,
      SocketPath: svc.SocketPath,
      Weights: { Passing: svc.Weights?.Passing ?? 1, Warning: svc.Weights?.Warning ?? 1 },
      EnableTagOverride: svc.EnableTagOverride,
      ...(svc.Proxy ? { Proxy: { DestinationServiceName: s(svc.Proxy.DestinationServiceName), DestinationServiceID: svc.Proxy.DestinationServiceID } } : {}),
      ...(svc.Connect?.PeerMeta ? { Connect: { PeerMeta: { SNI: [...svc.Connect.PeerMeta.SNI], SpiffeID: [...svc.Connect.PeerMeta.SpiffeID], Protocol: s(svc.Connect.PeerMeta.Protocol) } } } : {}),
      PeerName: peer,
    },
    checks: csn.Checks.map((c) => ({
      Node: nodeName,
      CheckID: c.CheckID,
      Name: s(c.Name),
      Status: (STATUSES.has(c.Status) ? s(c.Status) : 'critical') as CheckStatus,
      Notes: s(c.Notes),
      Output: s(c.Output),
      ServiceID: c.ServiceID,
      ServiceName: s(c.ServiceName),
      ServiceTags: list(c.ServiceTags),
      Type: s(c.Type),
      ExposedPort: 0,
      Definition: {},
      PeerName: peer,
    })),
  };
}
