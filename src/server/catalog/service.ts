// The catalog's writer: the only catalog file that touches the store; keeps the projection and topics current.
import { IsthmusError } from '../../lib/errors.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { Logger } from '../../lib/log.js';
import { sameData } from '../../lib/same-data.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp, WatchEvent } from '../../store/store.js';
import { CATALOG_PREFIX, catalogKeys, type ParsedKey } from './keys.js';
import { CatalogState, type CatalogReader, type StoredRecord } from './state.js';
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

/**
 * Virtual IPs for connect-capable instances (spec §1): proxies carry their destination's VIP,
 * connect-native instances their own, in `TaggedAddresses["consul-virtual"]`.
 */
export interface VirtualIpAssigner {
  assign(ks: Keyspace, name: string): Promise<string>;
  /** After instances went away: frees VIPs nothing uses any more. */
  released(ks: Keyspace, names: string[]): Promise<void>;
}

export const VIRTUAL_TAG = 'consul-virtual';

/** The service name whose VIP an instance carries, if it carries one. */
export function virtualIpName(s: Pick<ServiceRecord, 'Kind' | 'Service' | 'Proxy' | 'Connect'>): string | undefined {
  if (s.Kind === 'connect-proxy') return ((s.Proxy as { DestinationServiceName?: string } | undefined)?.DestinationServiceName || undefined);
  if ((s.Connect as { Native?: boolean } | undefined)?.Native === true) return s.Service;
  return undefined;
}

/** A put's record as the projection keeps it, with its parsed key. */
interface Decoded {
  key: ParsedKey;
  value: StoredRecord;
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
  /** Set by the composition root when virtual IPs are on. */
  virtualIps: VirtualIpAssigner | undefined;

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

  /**
   * Runs one write in order. The next write may start once this one is applied to the projection
   * (it computes its changes against it), without waiting for this one's fsync: concurrent writers
   * share the store's group commit. The caller is answered only once its commit is durable.
   */
  #run<T>(task: () => Promise<T> | T): Promise<T> {
    let durable: Promise<unknown> = Promise.resolve();
    const applied = this.#writes.run(async () => {
      this.#durable = undefined;
      const value = await task();
      durable = this.#durable ?? Promise.resolve();
      return value;
    });
    return applied.then(async (value) => {
      await durable;
      return value;
    });
  }

  /** Durability of the commit made by the write currently running (see #run). */
  #durable: Promise<unknown> | undefined;

  /**
   * Commits ops atomically: applies them to the projection as soon as the store has decided the
   * transaction, and wakes blocked readers once it is durable. Resolves at the former.
   */
  async #commit(ops: TxnOp[], decoded?: Decoded[]): Promise<number> {
    if (ops.length === 0) return this.#store.revision();
    const touched = new Set<string>();
    let applied: number | undefined;
    const apply = (revision: number): void => {
      if (applied !== undefined) return;
      applied = revision;
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i] as TxnOp;
        let t: string[] = [];
        if (op.type === 'put') {
          const d = decoded?.[i];
          t = d ? this.#state.applyRecord(d.key, d.value, undefined, revision) : this.#state.applyPut(op.key, op.value, undefined, revision);
        } else if (op.type === 'delete') {
          t = this.#state.applyDelete(op.key);
        }
        for (const x of t) touched.add(x);
      }
    };
    const done = this.#store.txn({ success: ops }, { onApplied: (r) => apply(r.revision) }).then(
      ({ revision }) => {
        apply(revision);
        this.#hub.bump(touched, revision);
        return revision;
      },
      async (err: unknown) => {
        // Applied but never made durable (the batch's COMMIT failed): rebuild the projection from the store.
        if (applied !== undefined) await this.#resync();
        throw err;
      },
    );
    this.#durable = done;
    done.catch(() => undefined); // the caller observes it through #run
    if (applied === undefined) return done;
    return applied;
  }

  /** Reloads the projection from the store and wakes every reader (after a failed commit). */
  async #resync(): Promise<void> {
    const { entries, revision } = await this.#store.list(CATALOG_PREFIX);
    const touched = this.#state.reset();
    for (const e of entries) for (const t of this.#state.applyPut(e.key, e.value, e.createRevision, e.modRevision)) touched.add(t);
    this.#hub.bump(touched, revision + 1);
    this.#log.warn('catalog projection reloaded after a failed commit', { entries: entries.length, revision });
  }

  /** Registers a node and optionally a service and checks; writes only what changed. */
  register(reg: Registration, options: RegisterOptions = {}): Promise<number> {
    const ks = options.keyspace ?? '';
    return this.#run(async () => {
      const r = this.#state;
      const ops: TxnOp[] = [];
      const put = (key: string, value: unknown, existing: { value: unknown } | undefined): void => {
        if (!existing || !sameJson(existing.value, value)) ops.push({ type: 'put', key, value: JSON.stringify(value) });
      };
      let vipGone: string | undefined;
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
        const svc = await this.#withVirtualIp(ks, { ...reg.service, PeerName: ks });
        const existing = r.service(ks, reg.nodeName, svc.ID);
        const before = existing && virtualIpName(existing.value);
        if (before && before !== virtualIpName(svc)) vipGone = before;
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
      const rev = await this.#commit(ops);
      if (vipGone) void this.virtualIps?.released(ks, [vipGone]);
      return rev;
    });
  }

  /** Stamps the instance's VIP (overwriting client input) when it carries one. */
  async #withVirtualIp<T extends ServiceRecord>(ks: Keyspace, svc: T): Promise<T> {
    const name = virtualIpName(svc);
    if (!name || !this.virtualIps) return svc;
    const vip = await this.virtualIps.assign(ks, name);
    return { ...svc, TaggedAddresses: { ...svc.TaggedAddresses, [VIRTUAL_TAG]: { Address: vip, Port: svc.Port } } };
  }

  /** Removes a node (with everything on it), a service (with its checks) or a check; unknown targets are a no-op. */
  deregister(d: Deregistration, options: { keyspace?: Keyspace } = {}): Promise<number> {
    const ks = options.keyspace ?? '';
    return this.#run(async () => {
      const r = this.#state;
      const ops: TxnOp[] = [];
      const gone = new Set<string>();
      const del = (key: string): void => {
        ops.push({ type: 'delete', key });
      };
      const vipOf = (s: ServiceRecord | undefined): void => {
        const n = s && virtualIpName(s);
        if (n) gone.add(n);
      };
      if (!d.serviceId && !d.checkId) {
        for (const c of r.checksOfNode(ks, d.node)) del(catalogKeys.check(ks, d.node, c.value.CheckID));
        for (const s of r.servicesOfNode(ks, d.node)) {
          vipOf(s.value);
          del(catalogKeys.service(ks, d.node, s.value.ID));
        }
        if (r.node(ks, d.node)) del(catalogKeys.node(ks, d.node));
      }
      if (d.serviceId && r.service(ks, d.node, d.serviceId)) {
        for (const c of r.checksOfInstance(ks, d.node, d.serviceId)) del(catalogKeys.check(ks, d.node, c.value.CheckID));
        vipOf(r.service(ks, d.node, d.serviceId)?.value);
        del(catalogKeys.service(ks, d.node, d.serviceId));
      }
      if (d.checkId && r.check(ks, d.node, d.checkId)) del(catalogKeys.check(ks, d.node, d.checkId));
      const rev = await this.#commit(ops);
      if (gone.size > 0) void this.virtualIps?.released(ks, [...gone]);
      return rev;
    });
  }

  /**
   * Replaces everything imported from `peer` for one service name with `instances` (spec §6.2):
   * changed nodes, instances and checks are written, missing ones removed, and imported nodes left
   * without any service deleted. Unchanged objects are not rewritten. One transaction.
   */
  applyImportedService(peer: Keyspace, name: string, instances: ImportedInstance[]): Promise<number> {
    return this.applyImportedServices(peer, [{ name, instances }]);
  }

  /** applyImportedService for a batch of services, in one transaction (the importer batches bursts). */
  applyImportedServices(peer: Keyspace, batch: { name: string; instances: ImportedInstance[] }[]): Promise<number> {
    return this.#run(async () => {
      // Imported proxies carry the importer's VIP (the exporter stripped its own).
      const vips = this.virtualIps !== undefined && batch.some((b) => b.instances.some((i) => virtualIpName(i.service) !== undefined));
      const stamped = vips
        ? await Promise.all(batch.map(async (b) => ({ name: b.name, instances: await Promise.all(b.instances.map(async (i) => ({ ...i, service: await this.#withVirtualIp(peer, i.service) }))) })))
        : batch;
      const gone = new Set<string>();
      const decoded: Decoded[] = [];
      const rev = await this.#commit(this.#importOps(peer, stamped, gone, decoded), decoded);
      if (gone.size > 0) void this.virtualIps?.released(peer, [...gone]);
      return rev;
    });
  }

  /**
   * The ops of an import; `decoded[i]` is the record op i puts, as the projection keeps it (it is
   * applied as is, not parsed back from its JSON: the importer's main cost at bulk sizes).
   */
  #importOps(peer: Keyspace, batch: { name: string; instances: ImportedInstance[] }[], gone: Set<string>, decoded: Decoded[]): TxnOp[] {
    const r = this.#state;
    const ops: TxnOp[] = [];
    const written = new Map<string, StoredRecord>();
    const put = (key: string, parsed: ParsedKey, value: StoredRecord, existing: { value: unknown } | undefined): void => {
      // Against what this batch wrote (the same node arriving with several services), else the catalog.
      const prev = written.get(key) ?? existing?.value;
      if (prev !== undefined && sameData(prev, value)) return;
      written.set(key, value);
      decoded[ops.length] = { key: parsed, value };
      ops.push({ type: 'put', key, value: JSON.stringify(value) });
    };
    const touchedNodes = new Set<string>();
    const adding = new Set<string>();
    for (const { name, instances } of batch) {
      const wanted = new Set(instances.map((i) => `${i.node.Node}\0${i.service.ID}`));
      for (const { node, service } of r.serviceInstances(peer, name)) {
        const k = `${node.value.Node}\0${service.value.ID}`;
        if (wanted.has(k)) continue;
        const vn = virtualIpName(service.value);
        if (vn) gone.add(vn);
        for (const c of r.checksOfInstance(peer, node.value.Node, service.value.ID)) ops.push({ type: 'delete', key: catalogKeys.check(peer, node.value.Node, c.value.CheckID) });
        ops.push({ type: 'delete', key: catalogKeys.service(peer, node.value.Node, service.value.ID) });
        touchedNodes.add(node.value.Node);
      }
      for (const inst of instances) {
        const nodeName = inst.node.Node;
        adding.add(nodeName);
        // fromWire already stamps the keyspace: copy only a record that does not carry it.
        const node = inst.node.PeerName === peer ? inst.node : { ...inst.node, PeerName: peer };
        put(catalogKeys.node(peer, nodeName), { kind: 'node', ks: peer, node: nodeName }, node, r.node(peer, nodeName));
        const svc = inst.service.PeerName === peer && inst.service.Node === nodeName ? inst.service : { ...inst.service, Node: nodeName, PeerName: peer };
        put(catalogKeys.service(peer, nodeName, svc.ID), { kind: 'service', ks: peer, node: nodeName, id: svc.ID }, svc, r.service(peer, nodeName, svc.ID));
        const keep = new Set(inst.checks.map((c) => c.CheckID));
        for (const c of r.checksOfInstance(peer, nodeName, inst.service.ID)) {
          if (!keep.has(c.value.CheckID)) ops.push({ type: 'delete', key: catalogKeys.check(peer, nodeName, c.value.CheckID) });
        }
        for (const c of inst.checks) {
          const check = c.PeerName === peer && c.Node === nodeName ? c : { ...c, Node: nodeName, PeerName: peer };
          put(catalogKeys.check(peer, nodeName, c.CheckID), { kind: 'check', ks: peer, node: nodeName, id: c.CheckID }, check, r.check(peer, nodeName, c.CheckID));
        }
      }
    }
    // Imported nodes left without any service go too.
    const deleted = new Set(ops.filter((o) => o.type === 'delete').map((o) => (o as { key: string }).key));
    for (const nodeName of touchedNodes) {
      if (adding.has(nodeName)) continue;
      const remaining = r.servicesOfNode(peer, nodeName).filter((s) => !deleted.has(catalogKeys.service(peer, nodeName, s.value.ID)));
      if (remaining.length === 0) {
        for (const c of r.checksOfNode(peer, nodeName)) {
          const key = catalogKeys.check(peer, nodeName, c.value.CheckID);
          if (!deleted.has(key)) ops.push({ type: 'delete', key });
        }
        ops.push({ type: 'delete', key: catalogKeys.node(peer, nodeName) });
      }
    }
    return ops;
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
    return this.#run(async () => {
      const r = this.#state;
      const nodes = r.nodes(peer);
      const ops: TxnOp[] = [];
      const gone = new Set<string>();
      for (const n of nodes.slice(0, maxNodes)) {
        for (const c of r.checksOfNode(peer, n.value.Node)) ops.push({ type: 'delete', key: catalogKeys.check(peer, n.value.Node, c.value.CheckID) });
        for (const s of r.servicesOfNode(peer, n.value.Node)) {
          const vn = virtualIpName(s.value);
          if (vn) gone.add(vn);
          ops.push({ type: 'delete', key: catalogKeys.service(peer, n.value.Node, s.value.ID) });
        }
        ops.push({ type: 'delete', key: catalogKeys.node(peer, n.value.Node) });
      }
      await this.#commit(ops);
      if (gone.size > 0) void this.virtualIps?.released(peer, [...gone]);
      return Math.max(0, nodes.length - maxNodes);
    });
  }

  /** Sets a local check's status and output; writes only when either changed. Returns the check after. */
  updateCheck(node: string, checkId: string, update: { status: CheckStatus; output: string }): Promise<Indexed<CheckRecord> | undefined> {
    return this.#run(async () => {
      const cur = this.#state.check('', node, checkId);
      if (!cur) return undefined;
      if (cur.value.Status === update.status && cur.value.Output === update.output) return cur;
      const next: CheckRecord = { ...cur.value, Status: update.status, Output: update.output };
      await this.#commit([{ type: 'put', key: catalogKeys.check('', node, checkId), value: JSON.stringify(next) }]);
      return this.#state.check('', node, checkId);
    });
  }
}
