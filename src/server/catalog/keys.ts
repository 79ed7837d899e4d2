// Store keys and blocking-query topics of the catalog (one place that knows their layout).
import type { Keyspace } from './types.js';

export const CATALOG_PREFIX = 'catalog/';

const enc = encodeURIComponent;

function space(ks: Keyspace): string {
  return ks === '' ? 'local' : `peer.${ks}`;
}

export const catalogKeys = {
  keyspace: (ks: Keyspace): string => `${CATALOG_PREFIX}${space(ks)}/`,
  node: (ks: Keyspace, node: string): string => `${CATALOG_PREFIX}${space(ks)}/node/${enc(node)}`,
  service: (ks: Keyspace, node: string, id: string): string => `${CATALOG_PREFIX}${space(ks)}/service/${enc(node)}/${enc(id)}`,
  servicesOfNode: (ks: Keyspace, node: string): string => `${CATALOG_PREFIX}${space(ks)}/service/${enc(node)}/`,
  check: (ks: Keyspace, node: string, id: string): string => `${CATALOG_PREFIX}${space(ks)}/check/${enc(node)}/${enc(id)}`,
  checksOfNode: (ks: Keyspace, node: string): string => `${CATALOG_PREFIX}${space(ks)}/check/${enc(node)}/`,
};

export type ParsedKey =
  | { kind: 'node'; ks: Keyspace; node: string }
  | { kind: 'service'; ks: Keyspace; node: string; id: string }
  | { kind: 'check'; ks: Keyspace; node: string; id: string };

/** Parses a catalog key; undefined for keys this version does not know. */
export function parseCatalogKey(key: string): ParsedKey | undefined {
  if (!key.startsWith(CATALOG_PREFIX)) return undefined;
  const parts = key.slice(CATALOG_PREFIX.length).split('/');
  const [sp, kind, a, b] = parts;
  if (sp === undefined || a === undefined) return undefined;
  const ks = sp === 'local' ? '' : sp.startsWith('peer.') ? sp.slice(5) : undefined;
  if (ks === undefined) return undefined;
  if (kind === 'node' && parts.length === 3) return { kind, ks, node: decodeURIComponent(a) };
  if ((kind === 'service' || kind === 'check') && parts.length === 4 && b !== undefined) {
    return { kind, ks, node: decodeURIComponent(a), id: decodeURIComponent(b) };
  }
  return undefined;
}

/** Blocking-query topics: each names a slice of the catalog a read depends on. */
export const topics = {
  nodes: (ks: Keyspace): string => `${ks}|nodes`,
  services: (ks: Keyspace): string => `${ks}|services`,
  checks: (ks: Keyspace): string => `${ks}|checks`,
  service: (ks: Keyspace, name: string): string => `${ks}|svc|${name}`,
  node: (ks: Keyspace, node: string): string => `${ks}|node|${node}`,
  /** Any service in any peer keyspace (GET /v1/imported-services). */
  importedServices: (): string => 'peers|services',
};
