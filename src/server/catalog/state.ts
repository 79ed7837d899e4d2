// The catalog's in-memory projection of the store: indexed for reads, updated entry by entry.
import { flat } from '../../lib/intern.js';
import { parseCatalogKey, topics, type ParsedKey } from './keys.js';
import type { CheckRecord, CheckStatus, HealthEntry, Indexed, Keyspace, NodeRecord, ServiceRecord } from './types.js';

/** What a catalog key stores: a node, a service instance or a check. */
export type StoredRecord = NodeRecord | ServiceRecord | CheckRecord;

class KeyspaceState {
  readonly nodes = new Map<string, Indexed<NodeRecord>>();
  readonly services = new Map<string, Map<string, Indexed<ServiceRecord>>>();
  readonly checks = new Map<string, Map<string, Indexed<CheckRecord>>>();
  /** service name → "node\0id" → instance */
  readonly byName = new Map<string, Map<string, Indexed<ServiceRecord>>>();
  /** "node\0serviceID" → checks of that instance ("node\0" holds node-level checks). */
  readonly checksByInstance = new Map<string, Map<string, Indexed<CheckRecord>>>();
  /** service kind (non-empty only: mesh-gateway, connect-proxy, …) → "node\0id" → instance */
  readonly byKind = new Map<string, Map<string, Indexed<ServiceRecord>>>();
  /** service name → union of its instances' tags (for `/v1/catalog/services`), dropped when an instance moves. */
  readonly tags = new Map<string, string[]>();
}

function instanceKey(node: string, serviceId: string): string {
  return `${node}\0${serviceId}`;
}

function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let m = outer.get(key);
  if (!m) outer.set(key, (m = new Map()));
  return m;
}

function unindexKind(s: KeyspaceState, old: ServiceRecord, key: string): void {
  if (!old.Kind) return;
  const m = s.byKind.get(old.Kind);
  m?.delete(key);
  if (m?.size === 0) s.byKind.delete(old.Kind);
}

function byNodeThenId(a: Indexed<ServiceRecord>, b: Indexed<ServiceRecord>): number {
  const x = a.value;
  const y = b.value;
  if (x.Node !== y.Node) return x.Node < y.Node ? -1 : 1;
  return x.ID < y.ID ? -1 : x.ID > y.ID ? 1 : 0;
}

export interface ServiceQuery {
  tags?: string[];
  nodeMeta?: Record<string, string>;
}

/** Read-only view of the catalog, handed to HTTP GET handlers and other readers. */
export interface CatalogReader {
  keyspaces(): Keyspace[];
  node(ks: Keyspace, node: string): Indexed<NodeRecord> | undefined;
  nodes(ks: Keyspace, nodeMeta?: Record<string, string>): Indexed<NodeRecord>[];
  servicesOfNode(ks: Keyspace, node: string): Indexed<ServiceRecord>[];
  service(ks: Keyspace, node: string, id: string): Indexed<ServiceRecord> | undefined;
  serviceTags(ks: Keyspace, nodeMeta?: Record<string, string>): Map<string, string[]>;
  /** Names of services with at least one instance (unsorted, cheap). */
  serviceNames(ks: Keyspace): string[];
  /** Does a service have at least one instance? O(1). */
  hasService(ks: Keyspace, name: string): boolean;
  /** Instances of one service kind (e.g. every mesh gateway), unsorted; O(instances of that kind). */
  instancesOfKind(ks: Keyspace, kind: string): Indexed<ServiceRecord>[];
  serviceInstances(ks: Keyspace, name: string, q?: ServiceQuery): { node: Indexed<NodeRecord>; service: Indexed<ServiceRecord> }[];
  healthService(ks: Keyspace, name: string, q?: ServiceQuery & { passingOnly?: boolean }): HealthEntry[];
  checksOfNode(ks: Keyspace, node: string): Indexed<CheckRecord>[];
  /** Checks of one service instance (serviceId '' = the node-level checks), unsorted. */
  checksOfInstance(ks: Keyspace, node: string, serviceId: string): Indexed<CheckRecord>[];
  check(ks: Keyspace, node: string, id: string): Indexed<CheckRecord> | undefined;
  checksOfService(ks: Keyspace, name: string, nodeMeta?: Record<string, string>): Indexed<CheckRecord>[];
  checksInState(ks: Keyspace, state: CheckStatus | 'any', nodeMeta?: Record<string, string>): Indexed<CheckRecord>[];
}

function metaMatches(node: NodeRecord | undefined, meta: Record<string, string> | undefined): boolean {
  if (!meta) return true;
  if (!node) return false;
  for (const [k, v] of Object.entries(meta)) if (node.Meta[k] !== v) return false;
  return true;
}

function sortChecks(list: Indexed<CheckRecord>[]): Indexed<CheckRecord>[] {
  return list.sort((a, b) =>
    a.value.Node !== b.value.Node ? (a.value.Node < b.value.Node ? -1 : 1) : a.value.CheckID < b.value.CheckID ? -1 : a.value.CheckID > b.value.CheckID ? 1 : 0,
  );
}

export class CatalogState implements CatalogReader {
  readonly #spaces = new Map<Keyspace, KeyspaceState>();

  /** Forgets everything (before a reload); returns the topics of what was there. */
  reset(): Set<string> {
    const touched = new Set<string>();
    for (const [ks, s] of this.#spaces) {
      touched.add(topics.nodes(ks)).add(topics.services(ks)).add(topics.checks(ks));
      for (const n of s.nodes.keys()) touched.add(topics.node(ks, n));
      for (const n of s.byName.keys()) touched.add(topics.service(ks, n));
    }
    this.#spaces.clear();
    return touched;
  }

  #space(ks: Keyspace): KeyspaceState | undefined {
    return this.#spaces.get(ks);
  }

  #spaceForWrite(ks: Keyspace): KeyspaceState {
    let s = this.#spaces.get(ks);
    if (!s) this.#spaces.set(ks, (s = new KeyspaceState()));
    return s;
  }

  /**
   * Applies one stored entry; returns the blocking topics it touched. Without `createIndex`, an
   * existing record keeps its own and a new one is created at `modifyIndex`.
   */
  applyPut(key: string, value: string, createIndex: number | undefined, modifyIndex: number): string[] {
    const k = parseCatalogKey(key);
    if (!k) return [];
    return this.applyRecord(k, JSON.parse(value) as StoredRecord, createIndex, modifyIndex);
  }

  /**
   * applyPut for a record the writer already holds as an object (what `JSON.parse` of the stored
   * value gives: plain data, never mutated afterwards), under an already parsed key.
   */
  applyRecord(k: ParsedKey, value: StoredRecord, createIndex: number | undefined, modifyIndex: number): string[] {
    const s = this.#spaceForWrite(k.ks);
    if (k.kind === 'node') {
      const created = createIndex ?? s.nodes.get(k.node)?.createIndex ?? modifyIndex;
      s.nodes.set(k.node, { value: value as NodeRecord, createIndex: created, modifyIndex });
      return this.#nodeTopics(s, k.ks, k.node);
    }
    if (k.kind === 'service') {
      const services = inner(s.services, k.node);
      const old = services.get(k.id);
      const created = createIndex ?? old?.createIndex ?? modifyIndex;
      const rec = { value: value as ServiceRecord, createIndex: created, modifyIndex };
      const touched = [topics.services(k.ks), topics.node(k.ks, k.node), topics.service(k.ks, rec.value.Service)];
      if (k.ks !== '') touched.push(topics.importedServices());
      if (old && old.value.Service !== rec.value.Service) {
        s.byName.get(old.value.Service)?.delete(`${k.node}\0${k.id}`);
        touched.push(topics.service(k.ks, old.value.Service));
      }
      if (old) unindexKind(s, old.value, instanceKey(k.node, k.id));
      services.set(k.id, rec);
      s.tags.delete(rec.value.Service);
      if (old) s.tags.delete(old.value.Service);
      const ik = flat(instanceKey(k.node, k.id)); // kept as a map key: one flat string for both indexes
      inner(s.byName, rec.value.Service).set(ik, rec);
      if (rec.value.Kind) inner(s.byKind, rec.value.Kind).set(ik, rec);
      return touched;
    }
    const checks = inner(s.checks, k.node);
    const old = checks.get(k.id);
    const created = createIndex ?? old?.createIndex ?? modifyIndex;
    const rec = { value: value as CheckRecord, createIndex: created, modifyIndex };
    checks.set(k.id, rec);
    if (old && old.value.ServiceID !== rec.value.ServiceID) s.checksByInstance.get(instanceKey(k.node, old.value.ServiceID))?.delete(k.id);
    const ik = instanceKey(k.node, rec.value.ServiceID);
    const byInstance = s.checksByInstance.get(ik);
    if (byInstance) byInstance.set(k.id, rec);
    else s.checksByInstance.set(flat(ik), new Map([[k.id, rec]]));
    return this.#checkTopics(s, k.ks, rec.value);
  }

  /** Removes one entry; returns the blocking topics it touched. */
  applyDelete(key: string): string[] {
    const k = parseCatalogKey(key);
    if (!k) return [];
    const s = this.#space(k.ks);
    if (!s) return [];
    if (k.kind === 'node') {
      const touched = this.#nodeTopics(s, k.ks, k.node);
      s.nodes.delete(k.node);
      return touched;
    }
    if (k.kind === 'service') {
      const services = s.services.get(k.node);
      const old = services?.get(k.id);
      if (!services || !old) return [];
      services.delete(k.id);
      if (services.size === 0) s.services.delete(k.node);
      s.tags.delete(old.value.Service);
      const names = s.byName.get(old.value.Service);
      names?.delete(`${k.node}\0${k.id}`);
      if (names?.size === 0) s.byName.delete(old.value.Service);
      unindexKind(s, old.value, instanceKey(k.node, k.id));
      return [topics.services(k.ks), topics.node(k.ks, k.node), topics.service(k.ks, old.value.Service), ...(k.ks !== '' ? [topics.importedServices()] : [])];
    }
    const checks = s.checks.get(k.node);
    const old = checks?.get(k.id);
    if (!checks || !old) return [];
    checks.delete(k.id);
    if (checks.size === 0) s.checks.delete(k.node);
    const ik = instanceKey(k.node, old.value.ServiceID);
    const byInst = s.checksByInstance.get(ik);
    byInst?.delete(k.id);
    if (byInst?.size === 0) s.checksByInstance.delete(ik);
    return this.#checkTopics(s, k.ks, old.value);
  }

  #nodeTopics(s: KeyspaceState, ks: Keyspace, node: string): string[] {
    const out = [topics.nodes(ks), topics.node(ks, node)];
    for (const svc of s.services.get(node)?.values() ?? []) out.push(topics.service(ks, svc.value.Service));
    return out;
  }

  #checkTopics(s: KeyspaceState, ks: Keyspace, c: CheckRecord): string[] {
    const out = [topics.checks(ks), topics.node(ks, c.Node)];
    if (c.ServiceID !== '') {
      const svc = s.services.get(c.Node)?.get(c.ServiceID);
      out.push(topics.service(ks, svc?.value.Service ?? c.ServiceName));
    } else {
      for (const svc of s.services.get(c.Node)?.values() ?? []) out.push(topics.service(ks, svc.value.Service));
    }
    return out;
  }

  keyspaces(): Keyspace[] {
    return [...this.#spaces.keys()];
  }

  node(ks: Keyspace, node: string): Indexed<NodeRecord> | undefined {
    return this.#space(ks)?.nodes.get(node);
  }

  nodes(ks: Keyspace, nodeMeta?: Record<string, string>): Indexed<NodeRecord>[] {
    const s = this.#space(ks);
    if (!s) return [];
    return [...s.nodes.values()].filter((n) => metaMatches(n.value, nodeMeta)).sort((a, b) => (a.value.Node < b.value.Node ? -1 : 1));
  }

  servicesOfNode(ks: Keyspace, node: string): Indexed<ServiceRecord>[] {
    return [...(this.#space(ks)?.services.get(node)?.values() ?? [])].sort(byNodeThenId);
  }

  service(ks: Keyspace, node: string, id: string): Indexed<ServiceRecord> | undefined {
    return this.#space(ks)?.services.get(node)?.get(id);
  }

  serviceTags(ks: Keyspace, nodeMeta?: Record<string, string>): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const s = this.#space(ks);
    if (!s) return out;
    for (const name of [...s.byName.keys()].sort()) {
      const cached = nodeMeta ? undefined : s.tags.get(name);
      if (cached) {
        out.set(name, cached);
        continue;
      }
      const tags = new Set<string>();
      let any = false;
      for (const inst of s.byName.get(name)?.values() ?? []) {
        if (!metaMatches(s.nodes.get(inst.value.Node)?.value, nodeMeta)) continue;
        any = true;
        for (const t of inst.value.Tags) tags.add(t);
      }
      if (!any) continue;
      const list = [...tags];
      out.set(name, list);
      if (!nodeMeta) s.tags.set(name, list);
    }
    return out;
  }

  serviceNames(ks: Keyspace): string[] {
    return [...(this.#space(ks)?.byName.keys() ?? [])];
  }

  hasService(ks: Keyspace, name: string): boolean {
    return (this.#space(ks)?.byName.get(name)?.size ?? 0) > 0;
  }

  instancesOfKind(ks: Keyspace, kind: string): Indexed<ServiceRecord>[] {
    return [...(this.#space(ks)?.byKind.get(kind)?.values() ?? [])];
  }

  serviceInstances(ks: Keyspace, name: string, q: ServiceQuery = {}): { node: Indexed<NodeRecord>; service: Indexed<ServiceRecord> }[] {
    const s = this.#space(ks);
    const instances = s?.byName.get(name);
    if (!s || !instances) return [];
    const out: { node: Indexed<NodeRecord>; service: Indexed<ServiceRecord> }[] = [];
    for (const svc of [...instances.values()].sort(byNodeThenId)) {
      if (q.tags && !q.tags.every((t) => svc.value.Tags.includes(t))) continue;
      const node = s.nodes.get(svc.value.Node);
      if (!node || !metaMatches(node.value, q.nodeMeta)) continue;
      out.push({ node, service: svc });
    }
    return out;
  }

  healthService(ks: Keyspace, name: string, q: ServiceQuery & { passingOnly?: boolean } = {}): HealthEntry[] {
    const s = this.#space(ks);
    if (!s) return [];
    const out: HealthEntry[] = [];
    for (const { node, service } of this.serviceInstances(ks, name, q)) {
      const checks: Indexed<CheckRecord>[] = [
        ...(s.checksByInstance.get(instanceKey(node.value.Node, ''))?.values() ?? []),
        ...(s.checksByInstance.get(instanceKey(node.value.Node, service.value.ID))?.values() ?? []),
      ];
      if (q.passingOnly && checks.some((c) => c.value.Status !== 'passing')) continue;
      out.push({ node, service, checks: sortChecks(checks) });
    }
    return out;
  }

  checksOfNode(ks: Keyspace, node: string): Indexed<CheckRecord>[] {
    return sortChecks([...(this.#space(ks)?.checks.get(node)?.values() ?? [])]);
  }

  checksOfInstance(ks: Keyspace, node: string, serviceId: string): Indexed<CheckRecord>[] {
    return [...(this.#space(ks)?.checksByInstance.get(instanceKey(node, serviceId))?.values() ?? [])];
  }

  check(ks: Keyspace, node: string, id: string): Indexed<CheckRecord> | undefined {
    return this.#space(ks)?.checks.get(node)?.get(id);
  }

  checksOfService(ks: Keyspace, name: string, nodeMeta?: Record<string, string>): Indexed<CheckRecord>[] {
    const s = this.#space(ks);
    if (!s) return [];
    const out: Indexed<CheckRecord>[] = [];
    for (const { node, service } of this.serviceInstances(ks, name, nodeMeta ? { nodeMeta } : {})) {
      out.push(...(s.checksByInstance.get(instanceKey(node.value.Node, service.value.ID))?.values() ?? []));
    }
    return sortChecks(out);
  }

  checksInState(ks: Keyspace, state: CheckStatus | 'any', nodeMeta?: Record<string, string>): Indexed<CheckRecord>[] {
    const s = this.#space(ks);
    if (!s) return [];
    const out: Indexed<CheckRecord>[] = [];
    for (const [node, checks] of s.checks) {
      if (!metaMatches(s.nodes.get(node)?.value, nodeMeta)) continue;
      for (const c of checks.values()) if (state === 'any' || c.value.Status === state) out.push(c);
    }
    return sortChecks(out);
  }
}
