// The store a server runs on and how it shares it: one server on SQLite or memory (it leads itself,
// projections updated by their writers), or several servers on etcd (projections fed by the store's
// watch, leadership by a lease-backed election).
import { readFileSync } from 'node:fs';
import type { Logger } from '../../lib/log.js';
import { EtcdElection } from '../../store/etcd/election.js';
import { EtcdStore } from '../../store/etcd/etcd-store.js';
import type { Store } from '../../store/store.js';
import type { AgentConfig } from '../config/schema.js';
import { ElectedLeadership, SoloLeadership, type Leadership } from '../leadership/leadership.js';
import { StoreFeed, type BatchApplier } from './feed.js';
import { FollowingStore } from './following-store.js';

export class ClusterStore {
  readonly store: Store;
  readonly leadership: Leadership;
  /** True when several servers share the store (etcd). */
  readonly shared: boolean;
  readonly #etcd: EtcdStore | undefined;
  readonly #log: Logger;
  #feed: StoreFeed | undefined;
  #startRevision = 0;

  private constructor(store: Store, leadership: Leadership, etcd: EtcdStore | undefined, log: Logger) {
    this.store = store;
    this.leadership = leadership;
    this.#etcd = etcd;
    this.shared = etcd !== undefined;
    this.#log = log;
  }

  /** Opens etcd when the config names endpoints, else uses `local()`. */
  static async open(config: AgentConfig, log: Logger, local: () => Store): Promise<ClusterStore> {
    const e = config.etcd;
    if (!e) return new ClusterStore(local(), new SoloLeadership(), undefined, log);
    const read = (f: string | undefined): Buffer | undefined => (f ? readFileSync(f) : undefined);
    const caPem = read(e.tls.caFile);
    const certPem = read(e.tls.certFile);
    const keyPem = read(e.tls.keyFile);
    const etcd = await EtcdStore.open({
      endpoints: e.endpoints,
      prefix: e.prefix,
      ...(caPem ? { tls: { caPem, ...(certPem ? { certPem } : {}), ...(keyPem ? { keyPem } : {}) } } : {}),
    });
    const electionLog = log.child({ component: 'leadership' });
    const election = new EtcdElection(etcd.client, `${e.prefix}leader/`, { ttlMs: e.leaseTtlMs, log: (msg, fields) => electionLog.info(msg, fields ?? {}) });
    const cluster = new ClusterStore(undefined as unknown as Store, new ElectedLeadership(election), etcd, log);
    const following = new FollowingStore(etcd, () => cluster.#feed);
    (cluster as { store: Store }).store = following;
    // Projections load after this revision; the feed replays from it (replays converge).
    cluster.#startRevision = await etcd.revision();
    log.info('store: etcd', { endpoints: e.endpoints.join(','), prefix: e.prefix, revision: cluster.#startRevision });
    return cluster;
  }

  /** Starts feeding projections from the shared store (no-op for a single server). */
  follow(subscriptions: [prefixes: string[], apply: BatchApplier][]): void {
    if (!this.#etcd) return;
    const feed = new StoreFeed({ store: this.#etcd, log: this.#log.child({ component: 'replication' }) }, this.#startRevision);
    for (const [prefixes, apply] of subscriptions) feed.subscribe(prefixes, apply);
    this.#feed = feed;
    feed.start();
  }

  async stop(): Promise<void> {
    await this.leadership.stop();
    this.#feed?.stop();
  }
}
