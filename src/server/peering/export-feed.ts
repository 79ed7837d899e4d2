// Shared by every peer session of a server: which local services moved (pushed from the IndexHub's
// bumps, so a session wakes only for services it exports) and their encoded ExportedService
// payloads, built once per change however many peerings receive them.
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { ExportedServiceSchema } from '../../gen/hashicorp/consul/internal/peerstream/peerstream_pb.js';
import type { IndexHub } from '../../lib/index-hub.js';
import { topics } from '../catalog/keys.js';
import type { CatalogReader } from '../catalog/state.js';
import type { HealthEntry } from '../catalog/types.js';
import { exportedServicePayload, meshGatewayNames, meshGateways } from './exports.js';

/** What moved in one catalog or config change, as far as exports are concerned. */
export interface ExportChange {
  /** Local service names whose catalog topics moved. */
  services: ReadonlySet<string>;
  /** A non-catalog source moved (exported-services rules, CA roots). */
  sources: boolean;
  /** A service name appeared in or vanished from the local catalog (wildcard exports may change). */
  names: boolean;
  /** A mesh gateway moved (every synthetic proxy payload and the server addresses may change). */
  gateways: boolean;
}

/** An encoded payload and the hash sessions compare against what they last sent. */
export interface BuiltPayload {
  resource: Any;
  hash: string;
}

/** Counts of work done, for tests and metrics: they must grow with the change, not the catalog. */
export interface ExportCounters {
  /** ExportedService payloads built (shared by every peering). */
  payloadBuilds: number;
  /** Synthetic `<name>-sidecar-proxy` payloads built (per peering: they carry the peer's SNI). */
  proxyBuilds: number;
  /** Exported services looked at by export passes, summed over sessions (what a wake-up costs). */
  examined: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const LOCAL_SERVICE_TOPIC = topics.service('', '');

export class ExportFeed {
  readonly #reader: CatalogReader;
  readonly #hub: IndexHub;
  readonly #sources: Set<string>;
  readonly #subscribers = new Set<(c: ExportChange) => void>();
  readonly #cache = new Map<string, { index: number; payload: BuiltPayload }>();
  /** Local service names known to exist (to notice names appearing and vanishing). */
  readonly #known: Set<string>;
  #gatewayNames: Set<string>;
  readonly counters: ExportCounters = { payloadBuilds: 0, proxyBuilds: 0, examined: 0 };

  constructor(deps: { reader: CatalogReader; hub: IndexHub; sourceTopics: readonly string[] }) {
    this.#reader = deps.reader;
    this.#hub = deps.hub;
    this.#sources = new Set(deps.sourceTopics);
    this.#known = new Set(deps.reader.serviceNames(''));
    this.#gatewayNames = new Set(meshGatewayNames(deps.reader));
    deps.hub.onBump((t) => this.#onBump(t));
  }

  /** Calls `fn` for every change that may move an export; returns the unsubscribe function. */
  subscribe(fn: (c: ExportChange) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  #onBump(changed: readonly string[]): void {
    if (this.#subscribers.size === 0) return;
    let sources = false;
    let names = false;
    let gateways = false;
    const services = new Set<string>();
    for (const t of changed) {
      if (this.#sources.has(t)) sources = true;
      else if (t.startsWith(LOCAL_SERVICE_TOPIC)) services.add(t.slice(LOCAL_SERVICE_TOPIC.length));
    }
    if (services.size > 0) {
      for (const name of services) {
        const has = this.#reader.hasService('', name);
        if (has !== this.#known.has(name)) {
          names = true;
          if (has) this.#known.add(name);
          else {
            this.#known.delete(name);
            this.#cache.delete(name);
          }
        }
      }
      const now = new Set(meshGatewayNames(this.#reader));
      for (const name of services) if (now.has(name) || this.#gatewayNames.has(name)) gateways = true;
      this.#gatewayNames = now;
    }
    if (!sources && !names && !gateways && services.size === 0) return;
    const change: ExportChange = { services, sources, names, gateways };
    for (const fn of this.#subscribers) fn(change);
  }

  /** The local mesh gateways (few; read through the catalog's kind index). */
  gateways(): HealthEntry[] {
    return meshGateways(this.#reader);
  }

  /** The ExportedService payload of one local service, rebuilt only when its topic moved. */
  payload(name: string): BuiltPayload {
    const index = this.#hub.index([topics.service('', name)]);
    const hit = this.#cache.get(name);
    if (hit && hit.index === index) return hit.payload;
    this.counters.payloadBuilds += 1;
    const resource = anyPack(ExportedServiceSchema, create(ExportedServiceSchema, { Nodes: exportedServicePayload(this.#reader, name) }));
    const payload = { resource, hash: sha256(resource.value) };
    this.#cache.set(name, { index, payload });
    return payload;
  }
}
