// Peerings, their secrets and imported trust bundles in the store; token generation, establishment,
// secret exchange, stream authorization and deletion (spec §2, §3, §5).
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { IsthmusError, invalid } from '../../lib/errors.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { Logger } from '../../lib/log.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp, WatchEvent } from '../../store/store.js';
import type { CatalogService } from '../catalog/service.js';
import { transition } from './state.js';
import { encodeToken, decodeToken } from './token.js';
import { StreamTracker } from './tracker.js';
import { isActive, isDialer, type Indexed, type PeeringRecord, type PeeringSecrets, type RemoteInfo, type TrustBundle } from './types.js';
import { isValidServerAddress, validatePeerName, validatePeeringMeta } from './validate.js';

const KEYS = {
  record: (id: string): string => `peering/peer/${id}`,
  secrets: (id: string): string => `peering/secrets/${id}`,
  bundle: (name: string): string => `peering/bundle/${encodeURIComponent(name)}`,
};
export const PEERING_TOPIC = 'peering|list';
/** Spec §3.5: deletion work is rate limited to 10 store writes per second. */
export const DELETION_WRITES_PER_SECOND = 10;
const DELETION_NODE_BATCH = 256;

/** What the establishing side needs to call the acceptor's ExchangeSecret (injected: gRPC). */
export type ExchangeFn = (target: { addresses: string[]; caPems: string[]; serverName: string }, req: { PeerID: string; EstablishmentSecret: string }) => Promise<string>;

export interface PeeringServiceDeps {
  store: Store;
  hub: IndexHub;
  log: Logger;
  catalog: CatalogService;
  tracker: StreamTracker;
  exchange: ExchangeFn;
  /** Our own TLS identity for tokens: CA root PEMs and the peering server name. */
  tls: () => { caPems: string[]; serverName: string };
  /** Addresses a dialer should use to reach this cluster's servers (or its mesh gateways). */
  serverAddresses: () => string[];
  /** Local mesh gateways to dial through first when peering through gateways; empty otherwise. */
  dialVia?: () => string[];
  /** Several servers: only the leader runs the deferred deletion routine. @default always */
  isLeader?: () => boolean;
}

function secretsEqual(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

export class PeeringService {
  readonly #d: PeeringServiceDeps;
  readonly #datacenter: string;
  readonly #records = new Map<string, Indexed<PeeringRecord>>();
  readonly #secrets = new Map<string, PeeringSecrets>();
  readonly #bundles = new Map<string, Indexed<TrustBundle>>();
  readonly #writes = new SerialQueue();
  readonly #listeners = new Set<() => void>();
  #deleting: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: PeeringServiceDeps, options: { datacenter: string }) {
    this.#d = deps;
    this.#datacenter = options.datacenter;
  }

  get tracker(): StreamTracker {
    return this.#d.tracker;
  }

  async load(): Promise<void> {
    for (const e of (await this.#d.store.list('peering/peer/')).entries) {
      const v = JSON.parse(e.value) as PeeringRecord;
      this.#records.set(v.ID, { value: v, createIndex: e.createRevision, modifyIndex: e.modRevision });
    }
    for (const e of (await this.#d.store.list('peering/secrets/')).entries) {
      this.#secrets.set(e.key.slice('peering/secrets/'.length), JSON.parse(e.value) as PeeringSecrets);
    }
    for (const e of (await this.#d.store.list('peering/bundle/')).entries) {
      const v = JSON.parse(e.value) as TrustBundle;
      this.#bundles.set(v.PeerName, { value: v, createIndex: e.createRevision, modifyIndex: e.modRevision });
    }
    this.#kickDeletion();
  }

  stop(): void {
    this.#stopped = true;
  }

  /** This server just became leader: resume deferred deletions (spec §3.5). */
  resumeLeaderWork(): void {
    this.#kickDeletion();
  }

  /** Called after any change (the dial manager reconciles its streams). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---- reads ----

  list(): Indexed<PeeringRecord>[] {
    return [...this.#records.values()].sort((a, b) => a.value.Name.localeCompare(b.value.Name));
  }

  byName(name: string): Indexed<PeeringRecord> | undefined {
    return [...this.#records.values()].find((r) => r.value.Name === name);
  }

  byId(id: string): Indexed<PeeringRecord> | undefined {
    return this.#records.get(id);
  }

  secrets(id: string): PeeringSecrets | undefined {
    return this.#secrets.get(id);
  }

  trustBundle(peerName: string): Indexed<TrustBundle> | undefined {
    return this.#bundles.get(peerName);
  }

  trustBundles(): Indexed<TrustBundle>[] {
    return [...this.#bundles.values()];
  }

  /** Applies records, secrets and bundles committed by any server of a shared store (HA). */
  applyReplicated(events: WatchEvent[], revision: number): void {
    const topics = new Set([PEERING_TOPIC]);
    for (const e of events) {
      if (e.key.startsWith('peering/peer/')) {
        const id = e.key.slice('peering/peer/'.length);
        const old = this.#records.get(id);
        if (old) topics.add(`peering|${old.value.Name}`);
        if (e.type === 'put') {
          const v = JSON.parse(e.entry.value) as PeeringRecord;
          this.#records.set(id, { value: v, createIndex: e.entry.createRevision, modifyIndex: e.entry.modRevision });
          topics.add(`peering|${v.Name}`);
        } else this.#records.delete(id);
      } else if (e.key.startsWith('peering/secrets/')) {
        const id = e.key.slice('peering/secrets/'.length);
        if (e.type === 'put') this.#secrets.set(id, JSON.parse(e.entry.value) as PeeringSecrets);
        else this.#secrets.delete(id);
      } else if (e.key.startsWith('peering/bundle/')) {
        const name = decodeURIComponent(e.key.slice('peering/bundle/'.length));
        if (e.type === 'put') {
          const v = JSON.parse(e.entry.value) as TrustBundle;
          this.#bundles.set(v.PeerName, { value: v, createIndex: e.entry.createRevision, modifyIndex: e.entry.modRevision });
        } else this.#bundles.delete(name);
        topics.add('peering|bundles');
      }
    }
    this.#d.hub.bump(topics, revision);
    for (const l of this.#listeners) l();
    this.#kickDeletion();
  }

  // ---- writes ----

  /** Writes records/secrets/bundles in one transaction and refreshes memory, topics and listeners. */
  async #commit(changes: { record?: PeeringRecord; deleteRecord?: string; secrets?: [string, PeeringSecrets | undefined]; bundle?: TrustBundle; deleteBundle?: string }): Promise<number> {
    const ops: TxnOp[] = [];
    if (changes.record) ops.push({ type: 'put', key: KEYS.record(changes.record.ID), value: JSON.stringify(changes.record) });
    if (changes.deleteRecord) ops.push({ type: 'delete', key: KEYS.record(changes.deleteRecord) });
    if (changes.secrets) {
      const [id, s] = changes.secrets;
      ops.push(s ? { type: 'put', key: KEYS.secrets(id), value: JSON.stringify(s) } : { type: 'delete', key: KEYS.secrets(id) });
    }
    if (changes.bundle) ops.push({ type: 'put', key: KEYS.bundle(changes.bundle.PeerName), value: JSON.stringify(changes.bundle) });
    if (changes.deleteBundle) ops.push({ type: 'delete', key: KEYS.bundle(changes.deleteBundle) });
    const { revision } = await this.#d.store.txn({ success: ops });
    const topics = [PEERING_TOPIC];
    if (changes.record) {
      const old = this.#records.get(changes.record.ID);
      this.#records.set(changes.record.ID, { value: changes.record, createIndex: old?.createIndex ?? revision, modifyIndex: revision });
      topics.push(`peering|${changes.record.Name}`);
      if (old && old.value.Name !== changes.record.Name) topics.push(`peering|${old.value.Name}`);
    }
    if (changes.deleteRecord) {
      const old = this.#records.get(changes.deleteRecord);
      if (old) topics.push(`peering|${old.value.Name}`);
      this.#records.delete(changes.deleteRecord);
    }
    if (changes.secrets) {
      const [id, s] = changes.secrets;
      if (s) this.#secrets.set(id, s);
      else this.#secrets.delete(id);
    }
    if (changes.bundle) {
      const old = this.#bundles.get(changes.bundle.PeerName);
      this.#bundles.set(changes.bundle.PeerName, { value: changes.bundle, createIndex: old?.createIndex ?? revision, modifyIndex: revision });
      topics.push('peering|bundles');
    }
    if (changes.deleteBundle) {
      this.#bundles.delete(changes.deleteBundle);
      topics.push('peering|bundles');
    }
    this.#d.hub.bump(topics, revision);
    for (const l of this.#listeners) l();
    return revision;
  }

  /** Acceptor: create or reuse the record and issue a fresh single-use token (spec §3.2). */
  generateToken(req: { PeerName?: string; Meta?: Record<string, string>; ServerExternalAddresses?: string[] }): Promise<string> {
    return this.#writes.run(async () => {
      const name = req.PeerName ?? '';
      validatePeerName(name);
      validatePeeringMeta(req.Meta ?? {});
      for (const a of req.ServerExternalAddresses ?? []) if (!isValidServerAddress(a)) throw invalid(`${a} is not a valid peering server address`);
      const existing = this.byName(name)?.value;
      if (existing && !isActive(existing) && existing.State === 'DELETING') throw invalid('cannot write to peering that is marked for deletion');
      if (existing && isDialer(existing)) throw invalid(`cannot create peering with name: "${name}"; there is already an established peering`);
      const tls = this.#d.tls();
      const addresses = this.#d.serverAddresses();
      if (addresses.length === 0) throw new IsthmusError('FAILED_PRECONDITION', 'a grpc bind port must be specified in the configuration for all servers');
      const base: PeeringRecord = existing ?? {
        ID: randomUUID(),
        Name: name,
        Partition: '',
        Meta: {},
        State: 'UNDEFINED',
        PeerID: '',
        PeerCAPems: [],
        PeerServerName: '',
        PeerServerAddresses: [],
        ManualServerAddresses: [],
        Remote: { Partition: '', Datacenter: '' },
      };
      const record = transition({ ...base, Meta: req.Meta ?? base.Meta, ...(existing?.State === 'TERMINATED' ? { State: 'UNDEFINED' as const } : {}) }, { type: 'token-generated' });
      const establishment = randomUUID();
      const secrets: PeeringSecrets = { ...(this.#secrets.get(record.ID) ?? {}), establishment };
      await this.#commit({ record, secrets: [record.ID, secrets] });
      return encodeToken({
        CA: tls.caPems.map(withNewline),
        ManualServerAddresses: req.ServerExternalAddresses && req.ServerExternalAddresses.length > 0 ? req.ServerExternalAddresses : null,
        ServerAddresses: addresses,
        ServerName: tls.serverName,
        PeerID: record.ID,
        EstablishmentSecret: establishment,
        Remote: { Partition: 'default', Datacenter: this.#datacenter, Locality: null },
      });
    });
  }

  /**
   * Dialer: exchange the establishment secret, then record the peer as ESTABLISHING (spec §3.3).
   * A refused establish changes nothing (issue 10): the record and secrets are written only after the
   * exchange succeeded, in one transaction. Only when dialing through local mesh gateways is a
   * provisional record written first (the gateways route by it), and it is put back on failure.
   */
  async establish(req: { PeerName?: string; PeeringToken?: string; Meta?: Record<string, string> }): Promise<void> {
    const name = req.PeerName ?? '';
    validatePeerName(name);
    const token = decodeToken(req.PeeringToken ?? '');
    validatePeeringMeta(req.Meta ?? {});
    const own = this.#d.tls().serverName;
    if (token.ServerName === own) {
      throw invalid(`cannot create a peering within the same cluster "${own}". Refer to the \`exported-services\` documentation if you want to export between partitions without peering`);
    }
    const plan = (existing: PeeringRecord | undefined, id: string): PeeringRecord => {
      if (existing?.State === 'DELETING') throw invalid('cannot write to peering that is marked for deletion');
      if (existing && !isDialer(existing) && existing.State !== 'TERMINATED') {
        throw invalid(`cannot create peering with name: "${name}"; there is an existing peering expecting to be dialed`);
      }
      if (existing && existing.ID !== id) throw new IsthmusError('ABORTED', `peering "${name}" changed while it was being established; try again`);
      const connected = existing ? this.#d.tracker.isConnected(existing.ID) : false;
      return transition(
        {
          ID: id,
          Name: name,
          Partition: '',
          Meta: req.Meta ?? existing?.Meta ?? {},
          State: existing && existing.State !== 'TERMINATED' ? existing.State : 'UNDEFINED',
          PeerID: token.PeerID,
          PeerCAPems: token.CA.map(withNewline),
          PeerServerName: token.ServerName,
          PeerServerAddresses: connected && existing ? existing.PeerServerAddresses : token.ServerAddresses,
          ManualServerAddresses: token.ManualServerAddresses ?? [],
          Remote: { Partition: token.Remote.Partition, Datacenter: token.Remote.Datacenter, ...(token.Remote.Locality ? { Locality: token.Remote.Locality } : {}) },
        },
        { type: 'dialer-written' },
      );
    };
    const before = this.byName(name)?.value;
    const id = before?.ID ?? randomUUID();
    const record = plan(before, id);
    const via = this.#d.dialVia?.() ?? [];
    let provisional: { previous: PeeringRecord | undefined } | undefined;
    if (via.length > 0) {
      // Through gateways, they must learn the route to the new peer before the exchange (§3.3 step 4, §5.3).
      await this.#writes.run(async () => {
        const previous = this.byName(name)?.value;
        await this.#commit({ record: plan(previous, id) });
        provisional = { previous };
      });
      await new Promise((r) => setTimeout(r, 1000));
    }
    let streamSecret: string;
    try {
      streamSecret = await this.#d.exchange(
        { addresses: [...via, ...(record.ManualServerAddresses.length ? record.ManualServerAddresses : record.PeerServerAddresses)], caPems: record.PeerCAPems, serverName: record.PeerServerName },
        { PeerID: token.PeerID, EstablishmentSecret: token.EstablishmentSecret },
      );
    } catch (err) {
      if (provisional) await this.#restore(id, provisional.previous);
      if (IsthmusError.is(err) && err.code === 'PERMISSION_DENIED') {
        throw new IsthmusError('PERMISSION_DENIED', 'rpc error: code = PermissionDenied desc = a new peering token must be generated: invalid peering establishment secret', { cause: err });
      }
      throw err;
    }
    await this.#writes.run(async () => {
      const cur = this.byName(name)?.value;
      if (provisional && !cur) throw new IsthmusError('ABORTED', `peering "${name}" was deleted while it was being established`);
      const next = provisional ? (cur as PeeringRecord) : plan(cur, id);
      await this.#commit({ record: transition(next, { type: 'secret-exchanged' }), secrets: [id, { active: streamSecret }] });
    });
    this.#d.log.info('peering established', { peer: name, id });
  }

  /** Puts back what a provisional establish write replaced (or removes the record it created). */
  #restore(id: string, previous: PeeringRecord | undefined): Promise<void> {
    return this.#writes.run(async () => {
      const cur = this.byId(id)?.value;
      if (!cur || cur.State === 'DELETING') return;
      if (previous) await this.#commit({ record: previous });
      else await this.#commit({ deleteRecord: id });
    });
  }

  /** Acceptor: trade a valid establishment secret for a pending stream secret (spec §5.3). */
  exchangeSecret(peerId: string, establishmentSecret: string): Promise<string> {
    return this.#writes.run(async () => {
      const rec = this.byId(peerId)?.value;
      const s = this.#secrets.get(peerId);
      if (!rec || !isActive(rec) || !s || !secretsEqual(s.establishment, establishmentSecret)) {
        throw new IsthmusError('PERMISSION_DENIED', 'invalid peering establishment secret');
      }
      const pending = randomUUID();
      const next: PeeringSecrets = { ...(s.active ? { active: s.active } : {}), pending };
      await this.#commit({ secrets: [peerId, next] });
      return pending;
    });
  }

  /**
   * Acceptor: checks an Open (spec §4.4). Returns the record; promotes a matching pending secret and
   * stores the dialer's Remote. Errors carry the spec's gRPC codes and texts.
   */
  authorizeOpen(open: { PeerID: string; StreamSecretID: string; Remote?: RemoteInfo }): Promise<PeeringRecord> {
    return this.#writes.run(async () => {
      if (!open.PeerID) throw new IsthmusError('INVALID_ARGUMENT', 'initial subscription request must specify a PeerID');
      const rec = this.byId(open.PeerID)?.value;
      if (!rec) throw new IsthmusError('INVALID_ARGUMENT', `initial subscription for unknown PeerID: ${open.PeerID}`);
      if (!isActive(rec)) throw new IsthmusError('ABORTED', `peering is marked as deleted: ${open.PeerID}`, { reason: 'PEERING_INACTIVE' });
      const s = this.#secrets.get(rec.ID);
      if (!s || (!s.active && !s.pending)) throw new IsthmusError('INTERNAL', 'unable to authorize connection, peering must be re-established');
      if (rec.PeerID !== '') throw new IsthmusError('INVALID_ARGUMENT', 'expected PeerID to be empty; the wrong end of peering is being dialed');
      if (secretsEqual(s.active, open.StreamSecretID)) return rec;
      if (secretsEqual(s.pending, open.StreamSecretID)) {
        const remote: RemoteInfo = open.Remote ? { Partition: open.Remote.Partition, Datacenter: open.Remote.Datacenter, ...(open.Remote.Locality ? { Locality: open.Remote.Locality } : {}) } : rec.Remote;
        const next = { ...rec, Remote: remote };
        await this.#commit({ record: next, secrets: [rec.ID, { active: s.pending as string, ...(s.establishment ? { establishment: s.establishment } : {}) }] });
        return next;
      }
      throw new IsthmusError('PERMISSION_DENIED', 'invalid peering stream secret');
    });
  }

  /** Marks a peering for deletion; the record disappears after its imported data is gone. */
  delete(name: string): Promise<void> {
    return this.#writes.run(async () => {
      const rec = this.byName(name)?.value;
      if (!rec || rec.State === 'DELETING') return;
      const next = transition(rec, { type: 'delete-requested', at: new Date().toISOString() });
      await this.#commit({ record: next, secrets: [rec.ID, undefined] });
      this.#d.log.info('peering marked for deletion', { peer: name, id: rec.ID });
      this.#kickDeletion();
    });
  }

  /** The other side deleted the peering: keep the record as TERMINATED, drop imported data. */
  markTerminated(id: string): Promise<void> {
    return this.#writes.run(async () => {
      const rec = this.byId(id)?.value;
      if (!rec || !isActive(rec)) return;
      await this.#commit({ record: transition(rec, { type: 'terminated-by-peer' }), secrets: [id, undefined] });
      this.#d.log.info('peering terminated by the peer', { peer: rec.Name, id });
      this.#kickDeletion();
    });
  }

  /** Stores a peer's trust bundle; a dialer also refreshes the CA it dials with (spec §6.2). */
  applyTrustBundle(id: string, bundle: Omit<TrustBundle, 'PeerName' | 'Partition'>): Promise<void> {
    return this.#writes.run(async () => {
      const rec = this.byId(id)?.value;
      if (!rec) throw new IsthmusError('NOT_FOUND', `peering ${id} not found`);
      if (rec.State === 'DELETING') throw new IsthmusError('FAILED_PRECONDITION', 'cannot write to peering that is marked for deletion');
      const roots = bundle.RootPEMs.map(withNewline);
      await this.#commit({
        bundle: { TrustDomain: bundle.TrustDomain, PeerName: rec.Name, Partition: '', RootPEMs: roots, ExportedPartition: bundle.ExportedPartition },
        ...(isDialer(rec) ? { record: { ...rec, PeerCAPems: roots } } : {}),
      });
    });
  }

  applyServerAddresses(id: string, addresses: string[]): Promise<void> {
    return this.#writes.run(async () => {
      const rec = this.byId(id)?.value;
      if (!rec || !isActive(rec) || addresses.length === 0) return;
      if (JSON.stringify(rec.PeerServerAddresses) === JSON.stringify(addresses)) return;
      await this.#commit({ record: { ...rec, PeerServerAddresses: addresses } });
    });
  }

  /** Runs the deletion routine unless it is already running. */
  #kickDeletion(): void {
    if (this.#deleting || (this.#d.isLeader && !this.#d.isLeader())) return;
    this.#deleting = this.#runDeletion()
      .catch((err: unknown) => this.#d.log.error('peering deletion failed; will retry on the next change', { error: (err as Error).message }))
      .finally(() => {
        this.#deleting = undefined;
      });
  }

  async #runDeletion(): Promise<void> {
    const interval = 1000 / DELETION_WRITES_PER_SECOND;
    const pace = (): Promise<void> => new Promise((r) => setTimeout(r, interval).unref());
    for (;;) {
      if (this.#stopped || (this.#d.isLeader && !this.#d.isLeader())) return;
      const inactive = [...this.#records.values()].map((r) => r.value).find((r) => !isActive(r) && (r.State === 'DELETING' || this.#hasImports(r)));
      if (!inactive) return;
      let remaining = await this.#d.catalog.deleteImportedNodes(inactive.Name, DELETION_NODE_BATCH);
      while (remaining > 0 && !this.#stopped) {
        await pace();
        remaining = await this.#d.catalog.deleteImportedNodes(inactive.Name, DELETION_NODE_BATCH);
      }
      await pace();
      await this.#writes.run(async () => {
        const cur = this.byId(inactive.ID)?.value;
        if (!cur) return;
        const bundle = this.#bundles.has(cur.Name) ? { deleteBundle: cur.Name } : {};
        if (cur.State === 'DELETING') await this.#commit({ ...bundle, deleteRecord: cur.ID, secrets: [cur.ID, undefined] });
        else if (bundle.deleteBundle) await this.#commit(bundle);
      });
      this.#d.tracker.delete(inactive.ID);
      this.#d.log.info('peering data removed', { peer: inactive.Name, id: inactive.ID, recordKept: inactive.State === 'TERMINATED' });
    }
  }

  #hasImports(r: PeeringRecord): boolean {
    return this.#d.catalog.reader.nodes(r.Name).length > 0 || this.#bundles.has(r.Name);
  }
}
