// What an exporting cluster sends a peer (spec §6.1), computed purely from the catalog, the
// exported-services entry and the CA: the service list, one payload per service, the trust bundle.
import { connectInstances } from '../catalog/connect.js';
import type { CatalogReader } from '../catalog/state.js';
import type { CheckRecord, CheckStatus, HealthEntry } from '../catalog/types.js';

/** The exported-services entry's services, as stored. */
export interface ExportedServiceRule {
  Name: string;
  Namespace?: string;
  Consumers: { Peer?: string; Partition?: string }[];
}

/** Plain shapes of the proto messages (protobuf-es `create()` accepts them). */
export interface WireNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  Partition: string;
  PeerName: string;
}
export interface WireService {
  Kind: string;
  Proxy?: { DestinationServiceName: string; DestinationServiceID: string };
  Connect?: { PeerMeta: { SNI: string[]; SpiffeID: string[]; Protocol: string } };
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Meta: Record<string, string>;
  Port: number;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  TaggedAddresses: Record<string, { Address: string; Port: number }>;
  SocketPath: string;
  PeerName: string;
}
export interface WireCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  PeerName: string;
}
export interface WireCheckServiceNode {
  Node: WireNode;
  Service: WireService;
  Checks: WireCheck[];
}

/** Service names never exported (the servers' own service). */
const NEVER_EXPORTED = new Set(['consul']);

/** Which local service names are exported to `peer`: an exact entry wins over `*` (spec §7.1). */
export function exportedNamesFor(rules: ExportedServiceRule[], peer: string, localNames: string[]): string[] {
  const exact = new Map(rules.filter((r) => r.Name !== '*').map((r) => [r.Name, r]));
  const wildcard = rules.find((r) => r.Name === '*');
  const toPeer = (r: ExportedServiceRule | undefined): boolean => !!r && r.Consumers.some((c) => c.Peer === peer);
  const out = new Set<string>();
  for (const name of localNames) {
    if (NEVER_EXPORTED.has(name) || name.endsWith('-sidecar-proxy')) continue;
    const rule = exact.get(name) ?? wildcard;
    if (toPeer(rule)) out.add(name);
  }
  // Exact exports of services that have no instances yet are still listed (empty payloads).
  for (const r of exact.values()) if (toPeer(r) && !NEVER_EXPORTED.has(r.Name)) out.add(r.Name);
  return [...out].sort();
}

const RANK: Record<string, number> = { passing: 0, warning: 1, critical: 2, maintenance: 3 };

/** Worst status of an instance's node and service checks; maintenance checks force maintenance. */
export function worstStatus(checks: CheckRecord[]): string | undefined {
  if (checks.length === 0) return undefined;
  let worst: string = 'passing';
  for (const c of checks) {
    const s: CheckStatus | 'maintenance' = c.CheckID === '_node_maintenance' || c.CheckID.startsWith('_service_maintenance:') ? 'maintenance' : c.Status;
    if ((RANK[s] ?? 2) > (RANK[worst] ?? 0)) worst = s;
  }
  return worst;
}

/** One instance as it goes on the wire: connect data stripped, checks folded into overall-check. */
export function toWire(e: HealthEntry): WireCheckServiceNode {
  const n = e.node.value;
  const s = e.service.value;
  const tagged = { ...s.TaggedAddresses };
  delete tagged['consul-virtual'];
  const status = worstStatus(e.checks.map((c) => c.value));
  return {
    Node: { ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter, TaggedAddresses: n.TaggedAddresses, Meta: n.Meta, Partition: '', PeerName: '' },
    Service: {
      Kind: '',
      ID: s.ID,
      Service: s.Service,
      Tags: s.Tags,
      Address: s.Address,
      Meta: s.Meta,
      Port: s.Port,
      Weights: s.Weights,
      EnableTagOverride: s.EnableTagOverride,
      TaggedAddresses: tagged,
      SocketPath: s.SocketPath,
      PeerName: '',
    },
    Checks:
      status === undefined
        ? []
        : [{ Node: n.Node, CheckID: `${s.ID}:overall-check`, Name: 'overall-check', Status: status, Notes: '', Output: '', ServiceID: s.ID, ServiceName: s.Service, ServiceTags: s.Tags, Type: '', PeerName: '' }],
  };
}

/** The payload of one exported service: its typical instances, in stable order. */
export function exportedServicePayload(reader: CatalogReader, name: string): WireCheckServiceNode[] {
  return reader
    .healthService('', name)
    .filter((e) => e.service.value.Kind === '' && !e.service.value.Service.endsWith('-sidecar-proxy'))
    .map(toWire);
}

/** Names of the local services that have mesh-gateway instances (from the catalog's kind index). */
export function meshGatewayNames(reader: CatalogReader): string[] {
  return [...new Set(reader.instancesOfKind('', 'mesh-gateway').map((i) => i.value.Service))].sort();
}

/** Local mesh gateways (any service of kind mesh-gateway), healthy or not; O(gateways), not O(catalog). */
export function meshGateways(reader: CatalogReader): HealthEntry[] {
  return meshGatewayNames(reader)
    .flatMap((n) => reader.healthService('', n))
    .filter((e) => e.service.value.Kind === 'mesh-gateway');
}

/** Does a service have connect-capable instances (a sidecar proxy or connect-native)? */
export function isConnectCapable(reader: CatalogReader, name: string): boolean {
  return connectInstances(reader, '', name).length > 0;
}

/** The peered SNI a dialing proxy uses to reach an exported service through our gateways (§10.1). */
export function peeredSni(service: string, peerName: string, trustDomain: string): string {
  return `${service}.default.default.${peerName}.external.${trustDomain}`;
}

/**
 * The synthetic `<name>-sidecar-proxy` instances sent for a connect-capable export (§6.1): one per
 * local mesh gateway, at the gateway's WAN address, with PeerMeta telling the importer which SNI
 * to send and which SPIFFE IDs to accept.
 */
export function syntheticProxyPayload(gateways: HealthEntry[], name: string, o: { peerName: string; trustDomain: string; datacenter: string }): WireCheckServiceNode[] {
  const proxyName = `${name}-sidecar-proxy`;
  return gateways.map((g, i) => {
    const gw = toWire(g);
    const wan = g.service.value.TaggedAddresses.wan;
    const address = wan?.Address || g.service.value.Address || g.node.value.Address;
    const port = wan?.Port || g.service.value.Port;
    const id = gateways.length === 1 ? proxyName : `${proxyName}-instance-${i}`;
    return {
      Node: gw.Node,
      Service: {
        ...gw.Service,
        Kind: 'connect-proxy',
        ID: id,
        Service: proxyName,
        Address: address,
        Port: port,
        Proxy: { DestinationServiceName: name, DestinationServiceID: gateways.length === 1 ? name : `${name}-instance-${i}` },
        Connect: {
          PeerMeta: {
            SNI: [peeredSni(name, o.peerName, o.trustDomain)],
            SpiffeID: [`spiffe://${o.trustDomain}/ns/default/dc/${o.datacenter}/svc/${name}`, `spiffe://${o.trustDomain}/gateway/mesh/dc/${o.datacenter}`],
            Protocol: 'tcp',
          },
        },
      },
      Checks: gw.Checks.map((c) => ({ ...c, ServiceID: id, ServiceName: proxyName, CheckID: `${id}:overall-check` })),
    };
  });
}
