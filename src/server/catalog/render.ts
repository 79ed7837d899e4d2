// Renders catalog records into Consul's JSON shapes (PascalCase keys, Go's omitempty rules).
import { formatGoDuration } from '../../lib/duration.js';
import type { CheckDefinition, CheckRecord, HealthEntry, Indexed, NodeRecord, ServiceRecord } from './types.js';

const EMPTY_PROXY = { MeshGateway: {}, Expose: {} };

export function renderNode(n: Indexed<NodeRecord>): Record<string, unknown> {
  const v = n.value;
  const out: Record<string, unknown> = {
    ID: v.ID,
    Node: v.Node,
    Address: v.Address,
    Datacenter: v.Datacenter,
    TaggedAddresses: v.TaggedAddresses,
    Meta: v.Meta,
  };
  if (v.PeerName) out.PeerName = v.PeerName;
  if (v.Locality !== undefined) out.Locality = v.Locality;
  out.CreateIndex = n.createIndex;
  out.ModifyIndex = n.modifyIndex;
  return out;
}

/** The nested service shape (catalog node, health service, agent views). */
export function renderNodeService(s: Indexed<ServiceRecord>): Record<string, unknown> {
  const v = s.value;
  const out: Record<string, unknown> = {};
  if (v.Kind) out.Kind = v.Kind;
  out.ID = v.ID;
  out.Service = v.Service;
  out.Tags = v.Tags;
  out.Address = v.Address;
  if (Object.keys(v.TaggedAddresses).length > 0) out.TaggedAddresses = v.TaggedAddresses;
  out.Meta = v.Meta;
  if (v.Port) out.Port = v.Port;
  if (v.SocketPath) out.SocketPath = v.SocketPath;
  out.Weights = v.Weights;
  out.EnableTagOverride = v.EnableTagOverride;
  if (v.Locality !== undefined) out.Locality = v.Locality;
  out.Proxy = v.Proxy ?? EMPTY_PROXY;
  out.Connect = v.Connect ?? {};
  if (v.PeerName) out.PeerName = v.PeerName;
  out.CreateIndex = s.createIndex;
  out.ModifyIndex = s.modifyIndex;
  return out;
}

/** The flat shape of /v1/catalog/service/:name. */
export function renderServiceNode(n: Indexed<NodeRecord>, s: Indexed<ServiceRecord>): Record<string, unknown> {
  const node = n.value;
  const v = s.value;
  const out: Record<string, unknown> = {
    ID: node.ID,
    Node: node.Node,
    Address: node.Address,
    Datacenter: node.Datacenter,
    TaggedAddresses: node.TaggedAddresses,
    NodeMeta: node.Meta,
    ServiceKind: v.Kind,
    ServiceID: v.ID,
    ServiceName: v.Service,
    ServiceTags: v.Tags,
    ServiceAddress: v.Address,
  };
  if (Object.keys(v.TaggedAddresses).length > 0) out.ServiceTaggedAddresses = v.TaggedAddresses;
  Object.assign(out, {
    ServiceWeights: v.Weights,
    ServiceMeta: v.Meta,
    ServicePort: v.Port,
    ServiceSocketPath: v.SocketPath,
    ServiceEnableTagOverride: v.EnableTagOverride,
    ServiceProxy: v.Proxy ?? EMPTY_PROXY,
    ServiceConnect: v.Connect ?? {},
    ServiceLocality: v.Locality ?? null,
  });
  if (v.PeerName) out.PeerName = v.PeerName;
  out.CreateIndex = s.createIndex;
  out.ModifyIndex = s.modifyIndex;
  return out;
}

export function renderDefinition(d: CheckDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (v === undefined || v === '' || v === false || v === 0) continue;
    out[k] = k === 'Interval' || k === 'Timeout' || k === 'TTL' || k === 'DeregisterCriticalServiceAfter' ? formatGoDuration(v as number) : v;
  }
  return out;
}

export function renderCheck(c: Indexed<CheckRecord>): Record<string, unknown> {
  const v = c.value;
  const out: Record<string, unknown> = {
    Node: v.Node,
    CheckID: v.CheckID,
    Name: v.Name,
    Status: v.Status,
    Notes: v.Notes,
    Output: v.Output,
    ServiceID: v.ServiceID,
    ServiceName: v.ServiceName,
    ServiceTags: v.ServiceTags,
    Type: v.Type,
    Interval: v.Definition.Interval ? formatGoDuration(v.Definition.Interval) : '',
    Timeout: v.Definition.Timeout ? formatGoDuration(v.Definition.Timeout) : '',
    ExposedPort: v.ExposedPort,
  };
  if (v.PeerName) out.PeerName = v.PeerName;
  out.Definition = renderDefinition(v.Definition);
  out.CreateIndex = c.createIndex;
  out.ModifyIndex = c.modifyIndex;
  return out;
}

export function renderHealthEntry(e: HealthEntry): Record<string, unknown> {
  return { Node: renderNode(e.node), Service: renderNodeService(e.service), Checks: e.checks.map(renderCheck) };
}
