// The composition root of a server: config → store, catalog, ACL, CA, peering, checker, HTTP, gRPC;
// start() listens, stop() drains in order.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PeerStreamService } from '../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { IsthmusError } from '../lib/errors.js';
import { IndexHub } from '../lib/index-hub.js';
import type { Logger } from '../lib/log.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { CONSUL_VERSION, VERSION } from '../version.js';
import { aclHandlers } from './acl/http.js';
import { AclService } from './acl/service.js';
import { agentHandlers } from './agent-local/http.js';
import { AgentLocalService } from './agent-local/service.js';
import { caHandlers } from './ca/http.js';
import { CA_ROOTS_TOPIC, CaService } from './ca/service.js';
import { catalogHandlers, healthHandlers } from './catalog/http.js';
import { topics } from './catalog/keys.js';
import { CatalogService } from './catalog/service.js';
import type { AgentConfig } from './config/schema.js';
import { configHandlers } from './config-entries/http.js';
import { connectHandlers } from './connect/http.js';
import { configTopics, ConfigEntryService } from './config-entries/service.js';
import { serviceDefinition } from './grpc/codec.js';
import { connectPeer, exchangeSecret } from './grpc/peer-client.js';
import { GrpcServer } from './grpc/server.js';
import { peerStreamService } from './grpc/services/peerstream.js';
import { CheckRunner } from './health-checks/runner.js';
import { DnsServer } from './dns/server.js';
import { dnsAnswerOptions } from './dns/options.js';
import { wireTraffic } from './discovery-chain/wire.js';
import { ResponseCache, type BlockingOptions } from './http/blocking.js';
import { buildRoutes, type Route } from './http/routes.js';
import { HttpServer } from './http/server.js';
import { intentionHandlers } from './intentions/http.js';
import { IntentionService } from './intentions/service.js';
import { metricsHandler, type Gauge } from './metrics/http.js';
import { DialManager } from './peering/dialer.js';
import { ExportFeed } from './peering/export-feed.js';
import { meshGateways, type ExportedServiceRule } from './peering/exports.js';
import { peeringHandlers } from './peering/http.js';
import { importedServicesHandler } from './peering/imported-services.js';
import { kvModule } from './kv/http.js';
import type { KvService } from './kv/service.js';
import { PeeringService } from './peering/service.js';
import type { SessionDeps } from './peering/session.js';
import { SessionRegistry } from './peering/sessions.js';
import { uiHandlers } from './ui/static.js';
import { isHealthy, StreamTracker } from './peering/tracker.js';
import { registerConsulService } from './servers/consul-service.js';
import { leaderForwarder } from './leadership/forward.js';
import { onLeadershipEdges, type ServerInfo } from './leadership/leadership.js';
import { ClusterStore } from './replication/cluster.js';
import { streamLeadership } from './leadership/probe.js';
import { reconcileServerHealth } from './leadership/server-health.js';
import { CATALOG_PREFIX } from './catalog/keys.js';

const NODE_ID_KEY = 'agent/node-id';
export const STORE_FILE = 'isthmus.db';
const PEER_STREAM_SERVICE = 'hashicorp.consul.internal.peerstream.PeerStreamService';
/** Several servers: the leader records the servers' gRPC addresses here; peer streams resend them on change. */
const SERVERS_KEY = 'cluster/servers';
const SERVERS_TOPIC = 'cluster|servers';

export interface AgentDeps {
  log: Logger;
  /** Use this store instead of the one the config names (tests). */
  store?: Store;
  blocking?: BlockingOptions;
}

export interface AgentAddresses {
  http: { host: string; port: number };
  grpcTls: { host: string; port: number };
  dns: { host: string; port: number };
}

interface Parts {
  log: Logger;
  store: Store;
  catalog: CatalogService;
  local: AgentLocalService;
  runner: CheckRunner;
  routes: Route[];
  http: HttpServer;
  ca: CaService;
  acl: AclService;
  grpc: GrpcServer;
  peering: PeeringService;
  dialer: DialManager;
  sessions: SessionRegistry;
  grpcAddress: { value: string };
  dns: DnsServer;
  cluster: ClusterStore;
  nodeId: string;
}

/** A running Isthmus server. Create with `Agent.create()`, then `start()`; `stop()` drains in order. */
export class Agent {
  readonly config: AgentConfig;
  readonly #p: Parts;
  #listening = false;
  #addresses: AgentAddresses | undefined;
  #stopLeaderWork: (() => void) | undefined;
  #stopServerHealth: (() => void) | undefined;

  private constructor(config: AgentConfig, parts: Parts) {
    this.config = config;
    this.#p = parts;
  }

  /** Opens the store, loads state and wires every component; listens only on `start()`. */
  static async create(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
    const log = deps.log;
    const cluster = await ClusterStore.open(config, log, () => deps.store ?? openStore(config));
    const store = cluster.store;
    const leadership = cluster.leadership;
    const hub = new IndexHub();
    const catalog = new CatalogService({ store, hub, log: log.child({ component: 'catalog' }) });
    await catalog.load();
    const acl = new AclService({ store, log: log.child({ component: 'acl' }) }, { ...config.acl, datacenter: config.datacenter });
    await acl.load();
    const entries = new ConfigEntryService({ store, hub });
    await entries.load();
    const ca = new CaService({ store, hub, log: log.child({ component: 'ca' }) }, { datacenter: config.datacenter });
    await ca.load();
    const intentions = new IntentionService({ entries });
    const nodeId = await loadNodeId(store, cluster.shared ? `${NODE_ID_KEY}/${config.nodeName}` : NODE_ID_KEY);
    const local = new AgentLocalService(
      { catalog },
      { nodeName: config.nodeName, nodeId, datacenter: config.datacenter, address: config.bindAddr },
      { deregisterMinMs: config.checkDeregisterIntervalMinMs },
    );
    const runner = new CheckRunner(
      { catalog, log: log.child({ component: 'health' }), deregisterService: (id) => local.deregisterService(id) },
      { node: config.nodeName, reapIntervalMs: config.checkReapIntervalMs },
    );
    local.runner = runner;

    // Peering: the address peers dial is known once the gRPC listener is bound.
    const grpc = new GrpcServer({ ca, log: log.child({ component: 'grpc' }) }, { datacenter: config.datacenter });
    const grpcAddress = { value: '' };
    const peerThroughGateways = (): boolean => (entries.get('mesh', 'mesh')?.entry.Peering as { PeerThroughMeshGateways?: boolean } | undefined)?.PeerThroughMeshGateways === true;
    const gatewayAddresses = (which: 'wan' | 'lan'): string[] =>
      meshGateways(catalog.reader).map((g) => {
        const t = g.service.value.TaggedAddresses[which] ?? g.service.value.TaggedAddresses.lan;
        return `${t?.Address || g.service.value.Address || g.node.value.Address}:${t?.Port || g.service.value.Port}`;
      });
    /** What dialers should use to reach our servers: our gRPC port, or our gateways when peering through them (§2.3). */
    const serverAddresses = (): string[] => {
      if (!peerThroughGateways()) {
        // Every server of the cluster (tokens and server-address updates list them all).
        const servers = leadership.servers().map((s) => s.GRPCAddr);
        return servers.length > 0 ? servers : grpcAddress.value ? [grpcAddress.value] : [];
      }
      const gws = gatewayAddresses('wan');
      if (gws.length === 0) throw new IsthmusError('FAILED_PRECONDITION', 'servers are configured to PeerThroughMeshGateways, but no mesh gateway instances are registered');
      return gws;
    };
    /** Local gateways our own dials go through first when peering through gateways (§4.7). */
    const dialVia = (): string[] => (peerThroughGateways() ? gatewayAddresses('lan') : []);
    const tracker = new StreamTracker();
    const peeringLog = log.child({ component: 'peering' });
    const peering = new PeeringService(
      { store, hub, log: peeringLog, catalog, tracker, exchange: exchangeSecret, tls: () => ({ caPems: ca.rootPems(), serverName: grpc.serverName }), serverAddresses, dialVia, isLeader: () => leadership.isLeader() },
      { datacenter: config.datacenter },
    );
    await peering.load();
    const exportRules = (): ExportedServiceRule[] => (entries.get('exported-services', 'default')?.entry.Services as ExportedServiceRule[] | undefined) ?? [];
    const exportSourceTopics = [configTopics.kind('exported-services'), CA_ROOTS_TOPIC, SERVERS_TOPIC];
    const sessionDeps: SessionDeps = {
      peering,
      catalog,
      tracker,
      hub,
      log: peeringLog,
      exports: {
        rules: exportRules,
        trustBundle: () => ({ TrustDomain: ca.trustDomain, RootPEMs: ca.rootPems() }),
        datacenter: config.datacenter,
        serverAddresses: () => {
          try {
            return serverAddresses();
          } catch {
            return [];
          }
        },
        topics: exportSourceTopics,
      },
      feed: new ExportFeed({ reader: catalog.reader, hub, sourceTopics: exportSourceTopics }),
    };
    const sessions = new SessionRegistry(peering);
    const timing = { heartbeatIntervalMs: config.peering.heartbeatIntervalMs, heartbeatTimeoutMs: config.peering.heartbeatTimeoutMs };
    const dialer = new DialManager({ peering, sessionDeps, registry: sessions, connect: connectPeer, log: peeringLog }, { datacenter: config.datacenter, dialVia, ...timing });
    if (config.peering.enabled) {
      const streamLead = cluster.shared ? { leadership: streamLeadership(leadership, (config.etcd?.leaseTtlMs ?? 0) + 1_000) } : {};
      grpc.addService(serviceDefinition(PeerStreamService), peerStreamService({ peering, sessionDeps, registry: sessions, log: peeringLog, ...streamLead }, timing));
      grpc.health.add(PEER_STREAM_SERVICE);
    }

    const blocking = { hub, cache: new ResponseCache(), options: deps.blocking ?? {} };
    let kvService: KvService | undefined;
    const traffic = await wireTraffic({ store, hub, catalog, entries, blocking, datacenter: config.datacenter, trustDomain: () => ca.trustDomain });
    const httpDeps = { catalog, blocking, datacenter: config.datacenter };
    const gauges = (): Gauge[] =>
      peering.list().flatMap(({ value: p }) => {
        const labels = { peer_name: p.Name, peer_id: p.ID };
        const s = tracker.get(p.ID);
        return [
          { name: 'consul.peering.healthy', help: 'Whether the peering stream is healthy (1) or not (0).', value: isHealthy(s, Date.now(), config.peering.heartbeatTimeoutMs) ? 1 : 0, labels },
          { name: 'consul.peering.exported_services', help: 'Number of services exported to the peer.', value: s?.exportedServices?.length ?? 0, labels },
        ];
      });
    const routes = buildRoutes(
      {
        catalog: catalogHandlers(httpDeps),
        health: healthHandlers(httpDeps),
        agent: agentHandlers({
          agent: local,
          hub,
          version: VERSION,
          serverAddress: `${config.bindAddr}:${config.ports.server}`,
          startedAt: new Date(),
          grpcTlsPort: () => Number(grpcAddress.value.split(':').pop() ?? 0),
          ...(cluster.shared ? { status: { leader: () => leadership.leader()?.RPCAddr ?? '', peers: () => leadership.servers().map((s) => s.RPCAddr) } } : {}),
        }),
        acl: aclHandlers(acl),
        config: configHandlers({ entries, blocking }),
        ca: caHandlers({ ca, blocking, isMeshGateway: (name) => catalog.reader.serviceInstances('', name).some((i) => i.service.value.Kind === 'mesh-gateway') }),
        intentions: intentionHandlers({ intentions, blocking, defaultAllow: () => !config.acl.enabled || config.acl.defaultPolicy === 'allow' }),
        peering: peeringHandlers({
          peering,
          blocking,
          catalog: catalog.reader,
          exportRules,
          exportTopics: [topics.services(''), topics.checks(''), topics.nodes(''), configTopics.kind('exported-services')],
          enabled: config.peering.enabled,
          ...(cluster.shared ? { forward: leaderForwarder(leadership) } : {}),
        }),
        connect: connectHandlers({ ca, intentions, peering, catalog: catalog.reader, blocking, defaultAllow: () => !config.acl.enabled || config.acl.defaultPolicy === 'allow' }),
        metrics: metricsHandler(gauges),
        kv: await kvModule({ store, hub, blocking, onService: (k) => (kvService = k) }),
        importedServices: importedServicesHandler({ catalog: catalog.reader, blocking }),
        ui: uiHandlers({ enabled: config.ui.enabled }),
        traffic: traffic.handlers,
      },
      config.nodeName,
    );
    const http = new HttpServer(routes, {
      log: log.child({ component: 'http' }),
      authenticate: (token) => acl.authenticate(token),
      // Consul sends its default policy on every response, `allow` when ACLs are off.
      responseHeaders: { 'X-Consul-Default-ACL-Policy': config.acl.enabled ? config.acl.defaultPolicy : 'allow' },
    });
    const dns = new DnsServer({
      log: log.child({ component: 'dns' }),
      context: () => {
        // DNS has no token slot: it answers as the anonymous token (Consul's agent default token).
        const authz = acl.authenticate(undefined);
        return {
          reader: catalog.reader,
          domain: config.domain,
          ...(config.altDomain ? { altDomain: config.altDomain } : {}),
          datacenter: config.datacenter,
          options: dnsAnswerOptions(config),
          canReadService: (name, peer) => (peer ? authz.serviceWriteAny() || authz.readAll('service') : authz.allowed('service', 'read', name)),
          canReadNode: (name) => authz.allowed('node', 'read', name),
          virtualIp: (peer, name) => traffic.vips.vip(peer, name),
        };
      },
    }, { udpAnswerLimit: config.dns.udpAnswerLimit, enableTruncate: config.dns.enableTruncate, disableCompression: config.dns.disableCompression });
    // Several servers: every projection follows the shared store's watch.
    cluster.follow([
      [[CATALOG_PREFIX], (ev, rev) => catalog.applyReplicated(ev, rev)],
      [['config/'], (ev, rev) => entries.applyReplicated(ev, rev)],
      [['acl/'], (ev) => acl.applyReplicated(ev)],
      [['ca/'], (ev, rev) => ca.applyReplicated(ev, rev)],
      [['peering/'], (ev, rev) => peering.applyReplicated(ev, rev)],
      [[SERVERS_KEY], (_ev, rev) => hub.bump([SERVERS_TOPIC], rev)],
      [['kv/'], (ev, rev) => kvService?.applyReplicated(ev, rev)],
      [['vip/'], (ev, rev) => traffic.vips.applyReplicated(ev, rev)],
    ]);
    return new Agent(config, { log, store, catalog, local, runner, routes, http, ca, acl, grpc, peering, dialer, sessions, grpcAddress, dns, cluster, nodeId });
  }

  get routes(): Route[] {
    return this.#p.routes;
  }

  get http(): HttpServer {
    return this.#p.http;
  }

  get catalog(): CatalogService {
    return this.#p.catalog;
  }

  get ca(): CaService {
    return this.#p.ca;
  }

  get acl(): AclService {
    return this.#p.acl;
  }

  get grpc(): GrpcServer {
    return this.#p.grpc;
  }

  get peering(): PeeringService {
    return this.#p.peering;
  }

  get addresses(): AgentAddresses {
    if (!this.#addresses) throw new Error('agent is not started');
    return this.#addresses;
  }

  /** Registers the agent's node, starts the checker, listens (gRPC first), then dials peers. */
  async start(options: { listen?: boolean } = {}): Promise<void> {
    await this.#p.local.registerSelf();
    this.#p.runner.start();
    const consulService = { nodeName: this.config.nodeName, serverPort: this.config.ports.server, version: CONSUL_VERSION };
    if (options.listen === false) return registerConsulService(this.#p.catalog, consulService);
    const grpcPort = await this.#p.grpc.listen(this.config.bindAddr, this.config.ports.grpcTls);
    this.#listening = true;
    this.#p.grpcAddress.value = `${this.config.bindAddr}:${grpcPort}`;
    await registerConsulService(this.#p.catalog, { ...consulService, grpcTlsPort: grpcPort });
    const dnsPort = await this.#p.dns.listen(this.config.bindAddr, this.config.ports.dns);
    const http = await this.#p.http.listen(this.config.bindAddr, this.config.ports.http);
    this.#addresses = { http, grpcTls: { host: this.config.bindAddr, port: grpcPort }, dns: { host: this.config.bindAddr, port: dnsPort } };
    // Leader-only work starts and stops with leadership (a single server leads at once).
    const leadership = this.#p.cluster.leadership;
    this.#stopLeaderWork = onLeadershipEdges(leadership, {
      gained: () => {
        this.#p.log.info('leadership acquired: running leader work');
        if (this.config.peering.enabled) this.#p.dialer.start();
        this.#p.peering.resumeLeaderWork();
      },
      lost: () => {
        this.#p.log.info('leadership lost: stopping leader work');
        this.#p.dialer.stop();
      },
    });
    const self: ServerInfo = {
      Node: this.config.nodeName,
      ID: this.#p.nodeId,
      HTTPAddr: `${http.host}:${http.port}`,
      GRPCAddr: this.#p.grpcAddress.value,
      RPCAddr: `${this.config.bindAddr}:${this.config.ports.server}`,
    };
    leadership.start(self);
    if (this.#p.cluster.shared) {
      const store = this.#p.store;
      const publishServers = async (addrs: string[]): Promise<void> => {
        const value = JSON.stringify(addrs);
        if ((await store.get(SERVERS_KEY))?.value !== value) await store.txn({ success: [{ type: 'put', key: SERVERS_KEY, value }] });
      };
      this.#stopServerHealth = reconcileServerHealth({ catalog: this.#p.catalog, leadership, log: this.#p.log.child({ component: 'leadership' }), publishServers });
    }
  }

  /** Stops accepting, ends peer streams and blocked queries, stops checks, then closes the store. */
  async stop(): Promise<void> {
    await this.#p.http.close();
    this.#stopLeaderWork?.();
    this.#stopServerHealth?.();
    await this.#p.cluster.stop();
    this.#p.dialer.stop();
    this.#p.sessions.closeAll();
    this.#p.peering.stop();
    if (this.#listening) {
      await this.#p.grpc.close();
      await this.#p.dns.close();
    }
    this.#p.runner.stop();
    await this.#p.store.close();
    this.#p.log.info('agent stopped');
  }
}

function openStore(config: AgentConfig): Store {
  if (config.dev && !config.dataDir) return new MemoryStore();
  const dir = config.dataDir as string;
  mkdirSync(dir, { recursive: true });
  return new SqliteStore(join(dir, STORE_FILE));
}

/** A node keeps one UUID for life, stored beside its data. */
async function loadNodeId(store: Store, key: string): Promise<string> {
  const existing = await store.get(key);
  if (existing) return existing.value;
  const id = randomUUID();
  await store.txn({ compare: [{ key, modRevision: 0 }], success: [{ type: 'put', key, value: id }] });
  return (await store.get(key))?.value ?? id;
}
