// One peer stream, either side (spec §4.4–§4.8): subscriptions, nonces, ACK/NACK, heartbeats,
// exporting what the peer subscribed to and applying what it sends. Transport-agnostic.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { anyPack, anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import {
  ExportedServiceListSchema,
  ExportedServiceSchema,
  Operation,
  type ReplicationMessageSchema,
  type ReplicationMessage,
  type ReplicationMessage_Request,
  type ReplicationMessage_Response,
} from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import { PeeringServerAddressesSchema, PeeringTrustBundleSchema } from '../../gen/hashicorp/consul/internal/peering/peering_pb.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { Logger } from '../../lib/log.js';
import type { CatalogService } from '../catalog/service.js';
import { sha256, type ExportChange, type ExportFeed } from './export-feed.js';
import { ImportBatcher } from './import-batcher.js';
import { decodeExportedService } from './import-decode.js';
import { exportedNamesFor, isConnectCapable, syntheticProxyPayload, type ExportedServiceRule } from './exports.js';
import {
  formatNonce,
  fromWire,
  ID_ROOTS,
  ID_SERVER_ADDRS,
  ID_SERVICE_LIST,
  KNOWN_URLS,
  URL_EXPORTED_SERVICE,
  URL_EXPORTED_SERVICE_LIST,
  URL_SERVER_ADDRESSES,
  URL_TRUST_BUNDLE,
} from './resources.js';
import type { PeeringService } from './service.js';
import type { StreamTracker } from './tracker.js';
import type { PeeringRecord } from './types.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 15_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 120_000;
/** The effective per-message cap across a peering (spec §4.8). */
export const MAX_STREAM_MESSAGE_BYTES = 8 * 1024 * 1024;
/** An export pass yields to the event loop after this much work, so sockets flush while it builds. */
const EXPORT_SLICE_MS = 5;
const PROXY_SUFFIX = '-sidecar-proxy';

export type MessageInit = MessageInitShape<typeof ReplicationMessageSchema>;

/** How a session writes to its stream. */
export interface SessionTransport {
  /** Writes one message; `false` means the buffer is full: wait for `drained()` before writing more. */
  send(msg: MessageInit): boolean | void;
  /**
   * Resolves when a full buffer has drained, and at once when nothing waits to drain (absent: the
   * transport never pushes back). Any send may fill the buffer (a heartbeat or ACK written while the
   * export loop waits), so the session's own record of a `false` can be stale: only the transport knows.
   */
  drained?(): Promise<void>;
  /** Half-close our side (the peer then sees the stream end). */
  end(): void;
}

/** Inputs to what we export: the exported-services rules, CA trust, our server addresses. */
export interface ExportSources {
  rules(): ExportedServiceRule[];
  trustBundle(): { TrustDomain: string; RootPEMs: string[] } | undefined;
  datacenter: string;
  serverAddresses(): string[];
  /** Non-catalog topics whose change may change an export (exported-services, CA roots). */
  topics: readonly string[];
}

export interface SessionDeps {
  peering: PeeringService;
  catalog: CatalogService;
  tracker: StreamTracker;
  hub: IndexHub;
  exports: ExportSources;
  /** Shared by every session: what moved, and payloads built once for all peerings. */
  feed: ExportFeed;
  log: Logger;
}

export interface SessionOptions {
  role: 'acceptor' | 'dialer';
  /** The local record of this peering. */
  record: PeeringRecord;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  maxMessageBytes?: number;
}

export interface SessionEnd {
  /** Set when the stream ended with an error (FAILING). */
  error?: string;
  /** The peer deleted the peering (we received Terminated). */
  terminatedByPeer?: boolean;
  /** We ended it because the local peering was deleted. */
  terminatedLocally?: boolean;
}

/** A gRPC-coded failure of a received message that ends the stream. */
export class StreamError extends Error {
  constructor(
    readonly code: 'INVALID_ARGUMENT' | 'INTERNAL' | 'FAILED_PRECONDITION',
    message: string,
  ) {
    super(message);
  }
}

export class PeerSession {
  readonly #d: SessionDeps;
  readonly #o: Required<Omit<SessionOptions, 'record'>> & { record: PeeringRecord };
  readonly #transport: SessionTransport;
  readonly #subscribed = new Set<string>();
  readonly #sentHash = new Map<string, string>();
  /** What this peer gets and what moved since the last export pass. */
  #names: string[] = [];
  #nameSet = new Set<string>();
  #namesStale = false;
  #dirtyAll = false;
  #sourcesDirty = false;
  readonly #dirty = new Set<string>();
  #scheduled = false;
  #backpressured = false;
  #unsubscribe: (() => void) | undefined;
  readonly #abort = new AbortController();
  /** Imported services, committed to the catalog in batches. */
  readonly #imports: ImportBatcher;
  #nonce = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #timeout: NodeJS.Timeout | undefined;
  #exporting = false;
  #ended = false;
  #resolveDone!: (end: SessionEnd) => void;
  readonly done: Promise<SessionEnd>;

  constructor(deps: SessionDeps, transport: SessionTransport, options: SessionOptions) {
    this.#d = deps;
    this.#transport = transport;
    this.#o = {
      role: options.role,
      record: options.record,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS,
      maxMessageBytes: options.maxMessageBytes ?? MAX_STREAM_MESSAGE_BYTES,
    };
    this.done = new Promise((r) => (this.#resolveDone = r));
    this.#imports = new ImportBatcher((batch) => deps.catalog.applyImportedServices(options.record.Name, batch));
  }

  get id(): string {
    return this.#o.record.ID;
  }

  get #peerName(): string {
    return this.#o.record.Name;
  }

  /** Sends our subscriptions and starts heartbeats (call after Open). */
  start(): void {
    const peerId = this.#o.role === 'dialer' ? this.#o.record.PeerID : '';
    const urls = [URL_EXPORTED_SERVICE, URL_EXPORTED_SERVICE_LIST, URL_TRUST_BUNDLE];
    if (this.#o.role === 'dialer') urls.push(URL_SERVER_ADDRESSES);
    for (const url of urls) this.#send({ Payload: { case: 'request', value: { PeerID: peerId, ResourceURL: url } } });
    this.#heartbeat = setInterval(() => this.#send({ Payload: { case: 'heartbeat', value: {} } }), this.#o.heartbeatIntervalMs);
    this.#heartbeat.unref();
    this.#armTimeout();
  }

  #armTimeout(): void {
    if (this.#timeout) clearTimeout(this.#timeout);
    this.#timeout = setTimeout(() => this.end({ error: 'heartbeat timeout' }), this.#o.heartbeatTimeoutMs);
    this.#timeout.unref();
  }

  #send(msg: MessageInit): boolean {
    if (this.#ended) return false;
    try {
      if (this.#transport.send(msg) === false) this.#backpressured = true;
      return true;
    } catch (err) {
      this.#d.tracker.update(this.id, { lastSendError: Date.now(), lastSendErrorMessage: (err as Error).message });
      return false;
    }
  }

  /** Handles one received message. Throws StreamError for protocol violations that end the stream. */
  async receive(msg: ReplicationMessage): Promise<void> {
    if (this.#ended) return;
    const p = msg.Payload;
    switch (p.case) {
      case 'heartbeat':
        this.#d.tracker.update(this.id, { lastHeartbeat: Date.now() });
        this.#armTimeout();
        return;
      case 'terminated':
        this.end({ terminatedByPeer: true });
        await this.#d.peering.markTerminated(this.id);
        return;
      case 'request':
        this.#onRequest(p.value);
        return;
      case 'response':
        await this.#onResponse(p.value);
        return;
      case 'open':
        throw new StreamError('INVALID_ARGUMENT', 'unexpected Open message after the stream was opened');
      default:
        throw new StreamError('INVALID_ARGUMENT', 'received an empty replication message');
    }
  }

  #onRequest(req: ReplicationMessage_Request): void {
    const now = Date.now();
    if (req.ResponseNonce !== '') {
      if (req.Error) this.#d.tracker.update(this.id, { lastNack: now, lastNackMessage: req.Error.message });
      else this.#d.tracker.update(this.id, { lastAck: now });
      if (req.Error) this.#d.log.warn('peer rejected a resource (NACK)', { peer: this.#peerName, url: req.ResourceURL, nonce: req.ResponseNonce, code: req.Error.code, message: req.Error.message });
      return;
    }
    if (!KNOWN_URLS.has(req.ResourceURL)) throw new StreamError('INVALID_ARGUMENT', `subscription request to unknown resource URL: ${req.ResourceURL}`);
    if (req.Error) throw new StreamError('INVALID_ARGUMENT', 'initial subscription requests for a resource type must not contain an error');
    if (this.#o.role === 'dialer' && req.PeerID !== '' && req.PeerID !== this.#o.record.PeerID) {
      throw new StreamError('INVALID_ARGUMENT', 'initial subscription request has the wrong PeerID');
    }
    if (req.ResourceURL === URL_SERVER_ADDRESSES && this.#o.role === 'dialer') return; // only dialers import addresses
    if (this.#subscribed.has(req.ResourceURL)) return;
    this.#subscribed.add(req.ResourceURL);
    this.#startExports();
  }

  async #onResponse(res: ReplicationMessage_Response): Promise<void> {
    const nack = (code: number, message: string): void => {
      this.#d.tracker.update(this.id, { lastRecvError: Date.now(), lastRecvErrorMessage: message });
      this.#d.log.warn('rejecting a resource from the peer (NACK)', { peer: this.#peerName, url: res.ResourceURL, id: res.ResourceID, message });
      this.#send({ Payload: { case: 'request', value: { ResourceURL: res.ResourceURL, ResponseNonce: res.Nonce, Error: { code, message } } } });
    };
    if (!KNOWN_URLS.has(res.ResourceURL)) return nack(3, `response to unknown resource URL: ${res.ResourceURL}`);
    if (res.Nonce === '') return nack(3, 'response has no nonce');
    if (res.operation !== Operation.UPSERT) return nack(3, `unsupported operation: ${res.operation}`);
    if (!res.Resource) return nack(3, 'upsert without a resource');
    const failed = (err: unknown): void => nack(13, `upsert error, ResourceURL: "${res.ResourceURL}", ResourceID: "${res.ResourceID}": ${(err as Error).message}`);
    const ack = (): void => {
      this.#d.tracker.update(this.id, { lastRecvResourceSuccess: Date.now() });
      this.#send({ Payload: { case: 'request', value: { ResourceURL: res.ResourceURL, ResponseNonce: res.Nonce } } });
    };
    let committed: Promise<void> | undefined;
    try {
      if (res.Resource.typeUrl !== res.ResourceURL) throw new Error(`mismatched resourceURL "${res.ResourceURL}" and Any typeUrl "${res.Resource.typeUrl}"`);
      committed = (await this.#apply(res))?.committed;
    } catch (err) {
      return failed(err);
    }
    if (!committed) return ack();
    // Imported services commit in batches: ACK (or NACK) once ours is committed; keep reading meanwhile.
    void committed.then(ack, failed);
    await this.#imports.room();
  }

  /** Applies a resource; for an imported service, returns the promise of its batched commit. */
  async #apply(res: ReplicationMessage_Response): Promise<{ committed: Promise<void> } | undefined> {
    const any = res.Resource as NonNullable<ReplicationMessage_Response['Resource']>;
    const peer = this.#peerName;
    switch (res.ResourceURL) {
      case URL_EXPORTED_SERVICE: {
        // Straight from the wire to what the catalog keeps (the importer's hot path at bulk sizes).
        const nodes = decodeExportedService(any.value);
        const name = res.ResourceID;
        if (!name) throw new Error('ExportedService without a ResourceID');
        return { committed: this.#imports.add(name, nodes.map((n) => fromWire(n, peer))) };
      }
      case URL_EXPORTED_SERVICE_LIST: {
        const msg = anyUnpack(any, ExportedServiceListSchema);
        if (!msg) throw new Error('cannot decode ExportedServiceList');
        await this.#imports.drain(); // prune against every service received before the list
        const keep = new Set(msg.Services);
        for (const name of this.#d.catalog.importedServiceNames(peer)) {
          const base = name.endsWith('-sidecar-proxy') ? name.slice(0, -'-sidecar-proxy'.length) : name;
          if (!keep.has(name) && !keep.has(base)) await this.#d.catalog.applyImportedService(peer, name, []);
        }
        this.#d.tracker.update(this.id, { importedServices: [...msg.Services] });
        return;
      }
      case URL_TRUST_BUNDLE: {
        const msg = anyUnpack(any, PeeringTrustBundleSchema);
        if (!msg) throw new Error('cannot decode PeeringTrustBundle');
        if (msg.RootPEMs.length === 0) throw new Error('trust bundle has no roots');
        await this.#d.peering.applyTrustBundle(this.id, { TrustDomain: msg.TrustDomain, RootPEMs: [...msg.RootPEMs], ExportedPartition: msg.ExportedPartition });
        return;
      }
      case URL_SERVER_ADDRESSES: {
        if (this.#o.role !== 'dialer') throw new Error('server addresses are only accepted by the dialing side');
        const msg = anyUnpack(any, PeeringServerAddressesSchema);
        if (!msg) throw new Error('cannot decode PeeringServerAddresses');
        await this.#d.peering.applyServerAddresses(this.id, [...msg.Addresses]);
        return;
      }
    }
  }

  /** Starts following exports once the peer subscribed: everything is sent once, then only what moves. */
  #startExports(): void {
    this.#namesStale = true;
    this.#dirtyAll = true;
    this.#sourcesDirty = true;
    this.#unsubscribe ??= this.#d.feed.subscribe((c) => this.#onExportChange(c));
    this.#scheduleExport();
  }

  /** Marks what a change moved; wakes the export pass only when it touches what this peer gets. */
  #onExportChange(c: ExportChange): void {
    let wake = false;
    if (c.sources || c.names) {
      this.#namesStale = true;
      wake = true;
    }
    if (c.sources || c.gateways) {
      this.#dirtyAll = true;
      this.#sourcesDirty = true;
      wake = true;
    }
    if (!this.#dirtyAll) {
      for (const name of c.services) {
        const base = name.endsWith(PROXY_SUFFIX) ? name.slice(0, -PROXY_SUFFIX.length) : name;
        if (this.#nameSet.has(base)) {
          this.#dirty.add(base);
          wake = true;
        }
      }
    }
    if (wake) this.#scheduleExport();
  }

  /** Runs an export pass on the next turn of the event loop (one pass per burst of writes). */
  #scheduleExport(): void {
    if (this.#scheduled || this.#ended) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#exportLoop();
    });
  }

  /** Sends what moved; repeats while changes arrived during the pass (one pass at a time). */
  async #exportLoop(): Promise<void> {
    if (this.#exporting) return;
    this.#exporting = true;
    try {
      while (!this.#ended && (this.#namesStale || this.#dirtyAll || this.#sourcesDirty || this.#dirty.size > 0)) {
        await this.#exportPass();
      }
    } catch (err) {
      this.#d.log.error('export loop failed', { peer: this.#peerName, error: (err as Error).message });
      this.end({ error: `export failed: ${(err as Error).message}` });
    } finally {
      this.#exporting = false;
    }
  }

  async #exportPass(): Promise<void> {
    const reader = this.#d.catalog.reader;
    const wantServices = this.#subscribed.has(URL_EXPORTED_SERVICE);
    const wantList = this.#subscribed.has(URL_EXPORTED_SERVICE_LIST);
    if (this.#namesStale) {
      this.#namesStale = false;
      const names = exportedNamesFor(this.#d.exports.rules(), this.#peerName, reader.serviceNames(''));
      const next = new Set(names);
      for (const n of names) if (!this.#nameSet.has(n)) this.#dirty.add(n);
      const gone = this.#names.filter((n) => !next.has(n));
      this.#names = names;
      this.#nameSet = next;
      if (wantList) {
        const prev = this.#sentHash.get(`${URL_EXPORTED_SERVICE_LIST}|${ID_SERVICE_LIST}`);
        const list = anyPack(ExportedServiceListSchema, create(ExportedServiceListSchema, { Services: names }));
        await this.#offer(URL_EXPORTED_SERVICE_LIST, ID_SERVICE_LIST, list, sha256(list.value));
        // StreamStatus.ExportedServices is what this stream actually sent (issue 10, class 9).
        const sent = this.#sentHash.get(`${URL_EXPORTED_SERVICE_LIST}|${ID_SERVICE_LIST}`);
        if (sent !== undefined && sent !== prev) this.#d.tracker.update(this.id, { exportedServices: [...names] });
      }
      // A service no longer exported: send it (and its synthetic proxy) empty once so the peer drops it now.
      if (wantServices) for (const n of gone) for (const id of [n, `${n}${PROXY_SUFFIX}`]) await this.#retract(id);
    }
    if (wantServices) {
      const work = this.#dirtyAll ? this.#names : [...this.#dirty].filter((n) => this.#nameSet.has(n)).sort();
      this.#dirtyAll = false;
      this.#dirty.clear();
      const gateways = work.length > 0 ? this.#d.feed.gateways() : [];
      const td = this.#d.exports.trustBundle()?.TrustDomain ?? '';
      let slice = performance.now();
      this.#d.feed.counters.examined += work.length;
      for (const name of work) {
        if (this.#ended) return;
        const p = this.#d.feed.payload(name);
        await this.#offer(URL_EXPORTED_SERVICE, name, p.resource, p.hash);
        // Connect-capable exports also get synthetic sidecar proxies at our mesh gateways (§6.1).
        const proxyName = `${name}${PROXY_SUFFIX}`;
        if (gateways.length > 0 && isConnectCapable(reader, name)) {
          this.#d.feed.counters.proxyBuilds += 1;
          const nodes = syntheticProxyPayload(gateways, name, { peerName: this.#peerName, trustDomain: td, datacenter: this.#d.exports.datacenter });
          const any = anyPack(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: nodes }));
          await this.#offer(URL_EXPORTED_SERVICE, proxyName, any, sha256(any.value));
        } else {
          await this.#retract(proxyName);
        }
        // Long passes (bulk exports) yield so what is built reaches the socket while the rest is built.
        if (performance.now() - slice > EXPORT_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          slice = performance.now();
        }
      }
    }
    if (this.#sourcesDirty) {
      this.#sourcesDirty = false;
      if (this.#subscribed.has(URL_TRUST_BUNDLE)) {
        const tb = this.#d.exports.trustBundle();
        if (tb) await this.#offerMessage(URL_TRUST_BUNDLE, ID_ROOTS, anyPack(PeeringTrustBundleSchema, create(PeeringTrustBundleSchema, { TrustDomain: tb.TrustDomain, RootPEMs: tb.RootPEMs, ExportedPartition: 'default' })));
      }
      if (this.#subscribed.has(URL_SERVER_ADDRESSES) && this.#o.role === 'acceptor') {
        const addrs = this.#d.exports.serverAddresses();
        if (addrs.length > 0) await this.#offerMessage(URL_SERVER_ADDRESSES, ID_SERVER_ADDRS, anyPack(PeeringServerAddressesSchema, create(PeeringServerAddressesSchema, { Addresses: addrs })));
      }
    }
  }

  /** Sends an empty payload for a service we sent before and no longer export. */
  async #retract(name: string): Promise<void> {
    const key = `${URL_EXPORTED_SERVICE}|${name}`;
    if (!this.#sentHash.has(key)) return;
    const empty = anyPack(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: [] }));
    await this.#offer(URL_EXPORTED_SERVICE, name, empty, sha256(empty.value));
    this.#sentHash.delete(key);
  }

  #offerMessage(url: string, id: string, resource: Any): Promise<void> {
    return this.#offer(url, id, resource, sha256(resource.value));
  }

  /**
   * Sends a resource unless an identical one was sent before (by hash of its encoding), then waits
   * for the transport to drain when it asked for back-pressure.
   */
  async #offer(url: string, id: string, resource: Any, hash: string): Promise<void> {
    const key = `${url}|${id}`;
    if (this.#sentHash.get(key) === hash) return;
    const msg: MessageInit = { Payload: { case: 'response', value: { Nonce: formatNonce(this.#nonce + 1), ResourceURL: url, ResourceID: id, Resource: resource, operation: Operation.UPSERT } } };
    // The payload dominates; the envelope (nonce, URL, ID, tags) adds a few hundred bytes at most.
    const size = resource.value.length + url.length * 2 + id.length + 64;
    if (size > this.#o.maxMessageBytes) {
      const message = `cannot replicate "${id}" to peer "${this.#peerName}": the message is ${size} bytes, over the ${this.#o.maxMessageBytes}-byte limit per message; split the service or export fewer instances`;
      this.#d.log.error('exported resource too large for the peer stream', { peer: this.#peerName, url, id, bytes: size, limit: this.#o.maxMessageBytes });
      this.#d.tracker.update(this.id, { lastSendError: Date.now(), lastSendErrorMessage: message });
      this.#sentHash.set(key, hash); // do not retry the same payload in a loop (the Consul field failure)
      return;
    }
    this.#nonce += 1;
    if (this.#send(msg)) {
      this.#sentHash.set(key, hash);
      this.#d.tracker.update(this.id, { lastSendSuccess: Date.now() });
    }
    if (this.#backpressured) await this.#drained();
  }

  /** Resolves once the transport drained (or the session ended). */
  async #drained(): Promise<void> {
    const wait = this.#transport.drained?.();
    this.#backpressured = false;
    if (!wait || this.#ended) return;
    const signal = this.#abort.signal;
    let onAbort: () => void = () => {};
    const aborted = new Promise<void>((r) => (onAbort = () => r()));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([wait, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort); // one wait per back-pressure episode: never accumulate listeners
    }
  }

  /** Sends Terminated (local deletion) and ends our side. */
  terminate(): void {
    this.#send({ Payload: { case: 'terminated', value: {} } });
    this.end({ terminatedLocally: true });
  }

  /** Ends the session once: stops timers and the export loop, half-closes, reports how it ended. */
  end(how: SessionEnd = {}): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#timeout) clearTimeout(this.#timeout);
    this.#unsubscribe?.();
    this.#abort.abort();
    try {
      this.#transport.end();
    } catch {
      // the transport may already be gone
    }
    this.#resolveDone(how);
  }
}
