// One peer stream, either side (spec §4.4–§4.8): subscriptions, nonces, ACK/NACK, heartbeats,
// exporting what the peer subscribed to and applying what it sends. Transport-agnostic.
import { createHash } from 'node:crypto';
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
import { topics } from '../catalog/keys.js';
import { exportedNamesFor, exportedServicePayload, isConnectCapable, meshGateways, syntheticProxyPayload, type ExportedServiceRule } from './exports.js';
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
/** Batches bursts of catalog writes into one export pass. */
const EXPORT_DEBOUNCE_MS = 5;

export type MessageInit = MessageInitShape<typeof ReplicationMessageSchema>;

/** How a session writes to its stream. */
export interface SessionTransport {
  send(msg: MessageInit): void;
  /** Half-close our side (the peer then sees the stream end). */
  end(): void;
}

/** Inputs to what we export: the exported-services rules, CA trust, our server addresses. */
export interface ExportSources {
  rules(): ExportedServiceRule[];
  trustBundle(): { TrustDomain: string; RootPEMs: string[] } | undefined;
  datacenter: string;
  serverAddresses(): string[];
  /** Topics whose change may change an export. */
  topics: readonly string[];
}

export interface SessionDeps {
  peering: PeeringService;
  catalog: CatalogService;
  tracker: StreamTracker;
  hub: IndexHub;
  exports: ExportSources;
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

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class PeerSession {
  readonly #d: SessionDeps;
  readonly #o: Required<Omit<SessionOptions, 'record'>> & { record: PeeringRecord };
  readonly #transport: SessionTransport;
  readonly #subscribed = new Set<string>();
  readonly #sentHash = new Map<string, string>();
  /** Per exported service, the catalog index its last payload was built at (skip unchanged ones). */
  readonly #builtAt = new Map<string, number>();
  readonly #abort = new AbortController();
  #nonce = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #timeout: NodeJS.Timeout | undefined;
  #exporting = false;
  /** Wakes the export loop early (a new subscription must not wait for a catalog change). */
  #wake: AbortController | undefined;
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
      this.#transport.send(msg);
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
    this.#wake?.abort();
    void this.#exportLoop();
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
    try {
      if (res.Resource.typeUrl !== res.ResourceURL) throw new Error(`mismatched resourceURL "${res.ResourceURL}" and Any typeUrl "${res.Resource.typeUrl}"`);
      await this.#apply(res);
    } catch (err) {
      return nack(13, `upsert error, ResourceURL: "${res.ResourceURL}", ResourceID: "${res.ResourceID}": ${(err as Error).message}`);
    }
    this.#d.tracker.update(this.id, { lastRecvResourceSuccess: Date.now() });
    this.#send({ Payload: { case: 'request', value: { ResourceURL: res.ResourceURL, ResponseNonce: res.Nonce } } });
  }

  async #apply(res: ReplicationMessage_Response): Promise<void> {
    const any = res.Resource as NonNullable<ReplicationMessage_Response['Resource']>;
    const peer = this.#peerName;
    switch (res.ResourceURL) {
      case URL_EXPORTED_SERVICE: {
        const msg = anyUnpack(any, ExportedServiceSchema);
        if (!msg) throw new Error('cannot decode ExportedService');
        const name = res.ResourceID;
        if (!name) throw new Error('ExportedService without a ResourceID');
        await this.#d.catalog.applyImportedService(peer, name, msg.Nodes.map((n) => fromWire(n, peer)));
        return;
      }
      case URL_EXPORTED_SERVICE_LIST: {
        const msg = anyUnpack(any, ExportedServiceListSchema);
        if (!msg) throw new Error('cannot decode ExportedServiceList');
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

  /** Computes what the peer subscribed to and sends what changed; repeats on relevant changes. */
  async #exportLoop(): Promise<void> {
    if (this.#exporting) return;
    this.#exporting = true;
    try {
      const topics = this.#d.exports.topics;
      while (!this.#ended) {
        const index = this.#d.hub.index(topics);
        this.#exportOnce();
        this.#wake = new AbortController();
        await this.#d.hub.wait(topics, index, 60_000, AbortSignal.any([this.#abort.signal, this.#wake.signal]));
        await new Promise((r) => setTimeout(r, EXPORT_DEBOUNCE_MS));
      }
    } catch (err) {
      this.#d.log.error('export loop failed', { peer: this.#peerName, error: (err as Error).message });
      this.end({ error: `export failed: ${(err as Error).message}` });
    } finally {
      this.#exporting = false;
    }
  }

  #exportOnce(): void {
    const reader = this.#d.catalog.reader;
    if (this.#subscribed.has(URL_EXPORTED_SERVICE) || this.#subscribed.has(URL_EXPORTED_SERVICE_LIST)) {
      const names = exportedNamesFor(this.#d.exports.rules(), this.#peerName, reader.serviceNames(''));
      const prevList = this.#sentHash.get(`${URL_EXPORTED_SERVICE_LIST}|${ID_SERVICE_LIST}`);
      if (this.#subscribed.has(URL_EXPORTED_SERVICE)) {
        const current = new Set(names);
        const gateways = meshGateways(reader);
        const gwTopics = [...new Set(gateways.map((g) => topics.service('', g.service.value.Service)))];
        const td = this.#d.exports.trustBundle()?.TrustDomain ?? '';
        for (const name of names) {
          // Only services whose catalog topics moved since the last pass are rebuilt.
          const idx = this.#d.hub.index([topics.service('', name), topics.service('', `${name}-sidecar-proxy`), ...gwTopics]);
          if (this.#builtAt.get(name) === idx && this.#sentHash.has(`${URL_EXPORTED_SERVICE}|${name}`)) {
            current.add(`${name}-sidecar-proxy`);
            continue;
          }
          this.#builtAt.set(name, idx);
          this.#offer(URL_EXPORTED_SERVICE, name, anyPack(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: exportedServicePayload(reader, name) })));
          // Connect-capable exports also get synthetic sidecar proxies at our mesh gateways (§6.1).
          if (gateways.length > 0 && isConnectCapable(reader, name)) {
            const nodes = syntheticProxyPayload(gateways, name, { peerName: this.#peerName, trustDomain: td, datacenter: this.#d.exports.datacenter });
            this.#offer(URL_EXPORTED_SERVICE, `${name}-sidecar-proxy`, anyPack(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: nodes })));
            current.add(`${name}-sidecar-proxy`);
          }
        }
        // A service no longer exported: send it empty once so the peer drops its instances now.
        for (const key of [...this.#sentHash.keys()]) {
          const [url, name] = key.split('|') as [string, string];
          if (url === URL_EXPORTED_SERVICE && !current.has(name)) {
            this.#offer(URL_EXPORTED_SERVICE, name, anyPack(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: [] })));
            this.#sentHash.delete(key);
            this.#builtAt.delete(name);
          }
        }
      }
      if (this.#subscribed.has(URL_EXPORTED_SERVICE_LIST)) {
        this.#offer(URL_EXPORTED_SERVICE_LIST, ID_SERVICE_LIST, anyPack(ExportedServiceListSchema, create(ExportedServiceListSchema, { Services: names })));
        // StreamStatus.ExportedServices is what this stream actually sent (issue 10, class 9).
        const sent = this.#sentHash.get(`${URL_EXPORTED_SERVICE_LIST}|${ID_SERVICE_LIST}`);
        if (sent !== undefined && sent !== prevList) this.#d.tracker.update(this.id, { exportedServices: [...names] });
      }
    }
    if (this.#subscribed.has(URL_TRUST_BUNDLE)) {
      const tb = this.#d.exports.trustBundle();
      if (tb) this.#offer(URL_TRUST_BUNDLE, ID_ROOTS, anyPack(PeeringTrustBundleSchema, create(PeeringTrustBundleSchema, { TrustDomain: tb.TrustDomain, RootPEMs: tb.RootPEMs, ExportedPartition: 'default' })));
    }
    if (this.#subscribed.has(URL_SERVER_ADDRESSES) && this.#o.role === 'acceptor') {
      const addrs = this.#d.exports.serverAddresses();
      if (addrs.length > 0) this.#offer(URL_SERVER_ADDRESSES, ID_SERVER_ADDRS, anyPack(PeeringServerAddressesSchema, create(PeeringServerAddressesSchema, { Addresses: addrs })));
    }
  }

  /** Sends a resource unless an identical one was sent before (hash of its encoding). */
  #offer(url: string, id: string, resource: Any): void {
    const key = `${url}|${id}`;
    const hash = sha(resource.value);
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
    this.#abort.abort();
    try {
      this.#transport.end();
    } catch {
      // the transport may already be gone
    }
    this.#resolveDone(how);
  }
}
