// Renders a peering the way Consul's API does (spec §1.3), with state and StreamStatus folded in.
import { visibleState } from './state.js';
import { renderStreamStatus, type StreamStatus } from './tracker.js';
import type { Indexed, PeeringRecord } from './types.js';

export function renderPeering(p: Indexed<PeeringRecord>, status: StreamStatus | undefined): Record<string, unknown> {
  const v = p.value;
  const out: Record<string, unknown> = { ID: v.ID, Name: v.Name };
  if (v.Partition) out.Partition = v.Partition;
  if (v.DeletedAt) out.DeletedAt = v.DeletedAt;
  if (Object.keys(v.Meta).length > 0) out.Meta = v.Meta;
  out.State = visibleState(v, status);
  if (v.PeerID) out.PeerID = v.PeerID;
  if (v.PeerCAPems.length > 0) out.PeerCAPems = v.PeerCAPems;
  if (v.PeerServerName) out.PeerServerName = v.PeerServerName;
  if (v.PeerServerAddresses.length > 0) out.PeerServerAddresses = v.PeerServerAddresses;
  const stream = renderStreamStatus(status);
  out.StreamStatus = stream;
  // Older clients (Terraform provider, 1.13/1.14 UI) read flat counts.
  out.ImportedServiceCount = (stream.ImportedServices as string[] | null)?.length ?? 0;
  out.ExportedServiceCount = (stream.ExportedServices as string[] | null)?.length ?? 0;
  out.CreateIndex = p.createIndex;
  out.ModifyIndex = p.modifyIndex;
  out.Remote = { Partition: v.Remote.Partition, Datacenter: v.Remote.Datacenter, ...(v.Remote.Locality ? { Locality: v.Remote.Locality } : {}) };
  return out;
}
