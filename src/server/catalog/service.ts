// The catalog's writer: the only catalog file that touches the store; keeps the projection and topics current.
import { IsthmusError } from '../../lib/errors.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { Logger } from '../../lib/log.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp } from '../../store/store.js';
import { CATALOG_PREFIX, catalogKeys } from './keys.js';
import { CatalogState, type CatalogReader } from './state.js';
import type { CheckRecord, CheckStatus, Deregistration, Indexed, Keyspace, Registration } from './types.js';

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
        for (const c of r.checksOfNode(ks, reg.nodeName)) {
          if (c.value.ServiceID !== svc.ID || named.has(c.value.CheckID)) continue;
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
        for (const c of r.checksOfNode(ks, d.node)) {
          if (c.value.ServiceID === d.serviceId) del(catalogKeys.check(ks, d.node, c.value.CheckID));
        }
        del(catalogKeys.service(ks, d.node, d.serviceId));
      }
      if (d.checkId && r.check(ks, d.node, d.checkId)) del(catalogKeys.check(ks, d.node, d.checkId));
      return this.#commit(ops);
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
