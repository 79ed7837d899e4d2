// The catalog's writer: the only catalog file that touches the store; keeps the projection and topics current.
import { IsthmusError } from '../../lib/errors.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { Logger } from '../../lib/log.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp, WatchEvent } from '../../store/store.js';
import { CATALOG_PREFIX, catalogKeys } from './keys.js';
import { CatalogState, type CatalogReader } from './state.js';
import type { CheckRecord, CheckStatus, Deregistration, Indexed, Keyspace, NodeRecord, Registration, ServiceRecord } from './types.js';

/** One instance as received from a peer, ready to store under that peer's keyspace. */
export interface ImportedInstance {
  node: NodeRecord;
  service: ServiceRecord;
  checks: CheckRecord[];
}

export interface CatalogServiceDeps {
  store: Store;
  hub: IndexHub;
  log: Logger;
}

export interface RegisterOptions {
  /** Keyspace to write into. @default '' (local) */
  keyspace?: Keyspace;
  /** Remove the service's existing checks that the registration does not name. @default false */
  replaceServiceChecks?: boolean;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class CatalogService {
  readonly #store: Store;
  readonly #hub: IndexHub;
  readonly #log: Logger;
  readonly #state = new CatalogState();
  readonly #writes = new SerialQueue();

  constructor(deps: CatalogServiceDeps) {
    this.#store = deps.store;
    this.#hub = deps.hub;
    this.#log = deps.log;
  }

  /** The read view: HTTP GET handlers and the health checker read from here. */
  get reader(): CatalogReader {
    return this.#state;
  }

  /** Loads the projection from the store; the hub's floor becomes the store revision. */
  async load(): Promise<void> {
    const { entries, revision } = await this.#store.list(CATALOG_PREFIX);
    for (const e of entries) this.#state.applyPut(e.key, e.value, e.createRevision, e.modRevision);
    this.#hub.setFloor(revision);
    this.#log.debug('catalog loaded', { entries: entries.length, revision });
  }

  /** Applies a batch committed by any server of a shared store (HA): projection, then topics. */
  applyReplicated(events: WatchEvent[], revision: number): void {
    const touched = new Set<string>();
    for (const e of events) {
      const t = e.type === 'put' ? this.#state.applyPut(e.key, e.entry.value, e.entry.createRevision, e.entry.modRevision) : this.#state.applyDelete(e.key);
      for (const x of t) touched.add(x);
    }
    if (touched.size > 0) this.#hub.bump(touched, revision);
  }

  /** Commits ops atomically, then applies them to the projection and wakes blocked readers. */
  async #commit(ops: TxnOp[]): Promise<number> {
    if (ops.length === 0) return this.#store.revision();
    const { revision } = await this.#store.txn({ success: ops });
    const touched = new Set<string>();
    for (const op of ops) {
      let t: string[] = [];
      if (op.type === 'put') {
        t = this.#state.applyPut(op.key, op.value, undefined, revision);
      } else if (op.type === 'delete') {
        t = this.#state.applyDelete(op.key);
      }
      for (const x of t) touched.add(x);
    }
    this.#hub.bump(touched, revision);
    return revision;
  }

  /** Registers a node and optionally a service and checks; writes only what changed. */
  register(reg: Registration, options: RegisterOptions = {}): Promise<number> {
    const ks = options.keyspace ?? '';
    return this.#writes.run(() => {
      const r = this.#state;
      const ops: TxnOp[] = [];
      const put = (key: string, value: unknown, existing: { value: unknown } | undefined): void => {
        if (!existing || !sameJson(existing.value, value)) ops.push({ type: 'put', key, value: JSON.stringify(value) });
      };
      if (reg.node) {
        const existing = r.node(ks, reg.nodeName);
        const node = { ...reg.node, PeerName: ks };
        // Consul keeps a node's ID once set when a later registration omits it.
        if (node.ID === '' && existing) node.ID = existing.value.ID;
        put(catalogKeys.node(ks, reg.nodeName), node, existing);
      } else if (!r.node(ks, reg.nodeName)) {
        throw new IsthmusError('NOT_FOUND', `Cannot register: node "${reg.nodeName}" does not exist`);
      }
      if (reg.service) {
        const svc = { ...reg.service, PeerName: ks };
        const existing = r.service(ks, reg.nodeName, svc.ID);
        put(catalogKeys.service(ks, reg.nodeName, svc.ID), svc, existing);
        const named = new Set(reg.checks.map((c) => c.CheckID));
        for (const c of r.checksOfInstance(ks, reg.nodeName, svc.ID)) {
          if (named.has(c.value.CheckID)) continue;
          if (options.replaceServiceChecks) {
            ops.push({ type: 'delete', key: catalogKeys.check(ks, reg.nodeName, c.value.CheckID) });
          } else if (c.value.ServiceName !== svc.Service || !sameJson(c.value.ServiceTags, svc.Tags)) {
            put(catalogKeys.check(ks, reg.nodeName, c.value.CheckID), { ...c.value, ServiceName: svc.Service, ServiceTags: svc.Tags }, c);
          }
        }
      }
      for (const c of reg.checks) {
        put(catalogKeys.check(ks, reg.nodeName, c.CheckID), { ...c, PeerName: ks }, r.check(ks, reg.nodeName, c.CheckID));
      }
      return this.#commit(ops);
    });
  }

  /** Removes a node (with everything on it), a service (with its checks) or a check; unknown targets are a no-op. */
  deregister(d: Deregistration, options: { keyspace?: Keyspace } = {}): Promise<number> {
    const ks = options.keyspace ?? '';
    return this.#writes.run(() => {
      const r = this.#state;
      const ops: TxnOp[] = [];
      const del = (key: string): void => {
        ops.push({ type: 'delete', key });
      };
      if (!d.serviceId && !d.checkId) {
        for (const c of r.checksOfNode(ks, d.node)) del(catalogKeys.check(ks, d.node, c.value.CheckID));
        for (const s of r.servicesOfNode(ks, d.node)) del(catalogKeys.service(ks, d.node, s.value.ID));
        if (r.node(ks, d.node)) del(catalogKeys.node(ks, d.node));
      }
      if (d.serviceId && r.service(ks, d.node, d.serviceId)) {
        for (const c of r.checksOfInstance(ks, d.node, d.serviceId)) del(catalogKeys.check(ks, d.node, c.value.CheckID));
        del(catalogKeys.service(ks, d.node, d.serviceId));
      }
      if (d.checkId && r.check(ks, d.node, d.checkId)) del(catalogKeys.check(ks, d.node, d.checkId));
      return this.#commit(ops);
    });
  }

  /**
   * Replaces everything imported from `peer` for one service name with `instances` (spec §6.2):
   * changed nodes, instances and checks are written, missing ones removed, and imported nodes left
   * without any service deleted. Unchanged objects are not rewritten. One transaction.
   */
  applyImportedService(peer: Keyspace, name: string, instances: ImportedInstance[]): Promise<number> {
    return this.#writes.run(() => {
      const r = this.#state;
      const ops: TxnOp[] = [];
      const put = (key: string, value: unknown, existing: { value: unknown } | undefined): void => {
        if (!existing || !sameJson(existing.value, value)) ops.push({ type: 'put', key, value: JSON.stringify(value) });
      };
      const wanted = new Set(instances.map((i) => `${i.node.Node}\0${i.service.ID}`));
      const touchedNodes = new Set<string>();
      for (const { node, service } of r.serviceInstances(peer, name)) {
        const k = `${node.value.Node}\0${service.value.ID}`;
        if (wanted.has(k)) continue;
        for (const c of r.checksOfInstance(peer, node.value.Node, service.value.ID)) ops.push({ type: 'delete', key: catalogKeys.check(peer, node.value.Node, c.value.CheckID) });
        ops.push({ type: 'delete', key: catalogKeys.service(peer, node.value.Node, service.value.ID) });
        touchedNodes.add(node.value.Node);
      }
      for (const inst of instances) {
        const nodeName = inst.node.Node;
        put(catalogKeys.node(peer, nodeName), { ...inst.node, PeerName: peer }, r.node(peer, nodeName));
        put(catalogKeys.service(peer, nodeName, inst.service.ID), { ...inst.service, Node: nodeName, PeerName: peer }, r.service(peer, nodeName, inst.service.ID));
        const keep = new Set(inst.checks.map((c) => c.CheckID));
        for (const c of r.checksOfInstance(peer, nodeName, inst.service.ID)) {
          if (!keep.has(c.value.CheckID)) ops.push({ type: 'delete', key: catalogKeys.check(peer, nodeName, c.value.CheckID) });
        }
        for (const c of inst.checks) put(catalogKeys.check(peer, nodeName, c.CheckID), { ...c, Node: nodeName, PeerName: peer }, r.check(peer, nodeName, c.CheckID));
      }
      // Imported nodes left without any service go too.
      const deleted = new Set(ops.filter((o) => o.type === 'delete').map((o) => (o as { key: string }).key));
      for (const nodeName of touchedNodes) {
        const remaining = r.servicesOfNode(peer, nodeName).filter((s) => !deleted.has(catalogKeys.service(peer, nodeName, s.value.ID)));
        const adding = instances.some((i) => i.node.Node === nodeName);
        if (remaining.length === 0 && !adding) {
          for (const c of r.checksOfNode(peer, nodeName)) {
            const key = catalogKeys.check(peer, nodeName, c.value.CheckID);
            if (!deleted.has(key)) ops.push({ type: 'delete', key });
          }
          ops.push({ type: 'delete', key: catalogKeys.node(peer, nodeName) });
        }
      }
      return this.#commit(ops);
    });
  }

  /** Imported service names of a peer (for pruning against an ExportedServiceList). */
  importedServiceNames(peer: Keyspace): string[] {
    return this.#state.serviceNames(peer);
  }

  /**
   * Deletes up to `maxNodes` imported nodes of a peer (with their services and checks) in one
   * transaction; returns how many remain. The peering deletion routine calls it at a limited rate.
   */
  deleteImportedNodes(peer: Keyspace, maxNodes: number): Promise<number> {
    return this.#writes.run(async () => {
      const r = this.#state;
      const nodes = r.nodes(peer);
      const ops: TxnOp[] = [];
      for (const n of nodes.slice(0, maxNodes)) {
        for (const c of r.checksOfNode(peer, n.value.Node)) ops.push({ type: 'delete', key: catalogKeys.check(peer, n.value.Node, c.value.CheckID) });
        for (const s of r.servicesOfNode(peer, n.value.Node)) ops.push({ type: 'delete', key: catalogKeys.service(peer, n.value.Node, s.value.ID) });
        ops.push({ type: 'delete', key: catalogKeys.node(peer, n.value.Node) });
      }
      await this.#commit(ops);
      return Math.max(0, nodes.length - maxNodes);
    });
  }

  /** Sets a local check's status and output; writes only when either changed. Returns the check after. */
  updateCheck(node: string, checkId: string, update: { status: CheckStatus; output: string }): Promise<Indexed<CheckRecord> | undefined> {
    return this.#writes.run(async () => {
      const cur = this.#state.check('', node, checkId);
      if (!cur) return undefined;
      if (cur.value.Status === update.status && cur.value.Output === update.output) return cur;
      const next: CheckRecord = { ...cur.value, Status: update.status, Output: update.output };
      await this.#commit([{ type: 'put', key: catalogKeys.check('', node, checkId), value: JSON.stringify(next) }]);
      return this.#state.check('', node, checkId);
    });
  }
}
