// The composition root of a server: config → store, catalog, checker, HTTP → start() / stop().
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IndexHub } from '../lib/index-hub.js';
import type { Logger } from '../lib/log.js';
import { MemoryStore } from '../store/memory/memory-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';
import { agentHandlers } from './agent-local/http.js';
import { AgentLocalService } from './agent-local/service.js';
import { catalogHandlers, healthHandlers } from './catalog/http.js';
import { CatalogService } from './catalog/service.js';
import type { AgentConfig } from './config/schema.js';
import { CheckRunner } from './health-checks/runner.js';
import { ResponseCache, type BlockingOptions } from './http/blocking.js';
import { buildRoutes, type Route } from './http/routes.js';
import { aclHandlers } from './acl/http.js';
import { AclService } from './acl/service.js';
import { caHandlers } from './ca/http.js';
import { CaService } from './ca/service.js';
import { configHandlers } from './config-entries/http.js';
import { ConfigEntryService } from './config-entries/service.js';
import { intentionHandlers } from './intentions/http.js';
import { IntentionService } from './intentions/service.js';
import { GrpcServer } from './grpc/server.js';
import { HttpServer } from './http/server.js';

const NODE_ID_KEY = 'agent/node-id';
export const STORE_FILE = 'isthmus.db';

export interface AgentDeps {
  log: Logger;
  /** Use this store instead of the one the config names (tests). */
  store?: Store;
  blocking?: BlockingOptions;
}

export interface AgentAddresses {
  http: { host: string; port: number };
  grpcTls: { host: string; port: number };
}

/** A running Isthmus server. Create with `Agent.create()`, then `start()`; `stop()` drains in order. */
export class Agent {
  readonly config: AgentConfig;
  readonly #log: Logger;
  readonly #store: Store;
  readonly #catalog: CatalogService;
  readonly #local: AgentLocalService;
  readonly #runner: CheckRunner;
  readonly #http: HttpServer;
  readonly routes: Route[];
  readonly ca: CaService;
  readonly acl: AclService;
  readonly grpc: GrpcServer;
  #listening = false;
  #addresses: AgentAddresses | undefined;

  private constructor(
    config: AgentConfig,
    parts: { log: Logger; store: Store; catalog: CatalogService; local: AgentLocalService; runner: CheckRunner; routes: Route[]; http: HttpServer; ca: CaService; acl: AclService; grpc: GrpcServer },
  ) {
    this.config = config;
    this.#log = parts.log;
    this.#store = parts.store;
    this.#catalog = parts.catalog;
    this.#local = parts.local;
    this.#runner = parts.runner;
    this.routes = parts.routes;
    this.#http = parts.http;
    this.ca = parts.ca;
    this.acl = parts.acl;
    this.grpc = parts.grpc;
  }

  /** Opens the store, loads state and wires every component; listens only on `start()`. */
  static async create(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
    const log = deps.log;
    const store = deps.store ?? openStore(config);
    const hub = new IndexHub();
    const catalog = new CatalogService({ store, hub, log: log.child({ component: 'catalog' }) });
    await catalog.load();
    const acl = new AclService({ store, log: log.child({ component: 'acl' }) }, config.acl);
    await acl.load();
    const entries = new ConfigEntryService({ store, hub });
    await entries.load();
    const ca = new CaService({ store, hub, log: log.child({ component: 'ca' }) }, { datacenter: config.datacenter });
    await ca.load();
    const intentions = new IntentionService({ entries });
    const nodeId = await loadNodeId(store);
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
    const blocking = { hub, cache: new ResponseCache(), options: deps.blocking ?? {} };
    const httpDeps = { catalog, blocking, datacenter: config.datacenter };
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
      }),
      acl: aclHandlers(acl),
      config: configHandlers({ entries, blocking }),
      ca: caHandlers({ ca, blocking, isMeshGateway: (name) => catalog.reader.serviceInstances('', name).some((i) => i.service.value.Kind === 'mesh-gateway') }),
      intentions: intentionHandlers({ intentions, blocking, defaultAllow: () => !config.acl.enabled || config.acl.defaultPolicy === 'allow' }),
      },
      config.nodeName,
    );
    const http = new HttpServer(routes, {
      log: log.child({ component: 'http' }),
      authenticate: (token) => acl.authenticate(token),
      ...(config.acl.enabled ? { responseHeaders: { 'X-Consul-Default-ACL-Policy': config.acl.defaultPolicy } } : {}),
    });
    const grpc = new GrpcServer({ ca, log: log.child({ component: 'grpc' }) }, { datacenter: config.datacenter });
    return new Agent(config, { log, store, catalog, local, runner, routes, http, ca, acl, grpc });
  }

  get http(): HttpServer {
    return this.#http;
  }

  get catalog(): CatalogService {
    return this.#catalog;
  }

  get addresses(): AgentAddresses {
    if (!this.#addresses) throw new Error('agent is not started');
    return this.#addresses;
  }

  /** Registers the agent's node, starts the checker, then listens. */
  async start(options: { listen?: boolean } = {}): Promise<void> {
    await this.#local.registerSelf();
    this.#runner.start();
    if (options.listen === false) return;
    const grpcPort = await this.grpc.listen(this.config.bindAddr, this.config.ports.grpcTls);
    this.#listening = true;
    const http = await this.#http.listen(this.config.bindAddr, this.config.ports.http);
    this.#addresses = { http, grpcTls: { host: this.config.bindAddr, port: grpcPort } };
  }

  /** Stops accepting, ends blocked queries, stops checks, then closes the store. */
  async stop(): Promise<void> {
    await this.#http.close();
    if (this.#listening) await this.grpc.close();
    this.#runner.stop();
    await this.#store.close();
    this.#log.info('agent stopped');
  }
}

function openStore(config: AgentConfig): Store {
  if (config.dev && !config.dataDir) return new MemoryStore();
  const dir = config.dataDir as string;
  mkdirSync(dir, { recursive: true });
  return new SqliteStore(join(dir, STORE_FILE));
}

/** A node keeps one UUID for life, stored beside its data. */
async function loadNodeId(store: Store): Promise<string> {
  const existing = await store.get(NODE_ID_KEY);
  if (existing) return existing.value;
  const id = randomUUID();
  await store.txn({ compare: [{ key: NODE_ID_KEY, modRevision: 0 }], success: [{ type: 'put', key: NODE_ID_KEY, value: id }] });
  return (await store.get(NODE_ID_KEY))?.value ?? id;
}
