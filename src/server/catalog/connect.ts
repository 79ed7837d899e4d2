// Pure catalog views shared by the connect endpoints, the peering exporter and the UI listings.
import type { CatalogReader } from './state.js';
import type { HealthEntry, Indexed, Keyspace, NodeRecord, ServiceRecord } from './types.js';

type Instance = { node: Indexed<NodeRecord>; service: Indexed<ServiceRecord> };

/** A connect-proxy instance fronting service `name`. */
export function isProxyFor(s: ServiceRecord, name: string): boolean {
  return s.Kind === 'connect-proxy' && (s.Proxy as { DestinationServiceName?: string } | undefined)?.DestinationServiceName === name;
}

export function isConnectNative(s: ServiceRecord): boolean {
  return (s.Connect as { Native?: boolean } | undefined)?.Native === true;
}

/** The connect-capable instances of a service: its sidecar proxies, then its connect-native instances. */
export function connectInstances(reader: CatalogReader, ks: Keyspace, name: string): Instance[] {
  return reader
    .serviceInstances(ks, `${name}-sidecar-proxy`)
    .filter((i) => isProxyFor(i.service.value, name))
    .concat(reader.serviceInstances(ks, name).filter((i) => isConnectNative(i.service.value)));
}

/** The UI's per-service summary of a set of health entries. */
export function serviceSummary(name: string, entries: HealthEntry[]): Record<string, unknown> {
  const checks = entries.flatMap((e) => e.checks.map((c) => c.value.Status));
  return {
    Name: name,
    Tags: [...new Set(entries.flatMap((e) => e.service.value.Tags))],
    Nodes: [...new Set(entries.map((e) => e.node.value.Node))],
    InstanceCount: entries.length,
    ChecksPassing: checks.filter((s) => s === 'passing').length,
    ChecksWarning: checks.filter((s) => s === 'warning').length,
    ChecksCritical: checks.filter((s) => s === 'critical').length,
    ExternalSources: null,
  };
}
