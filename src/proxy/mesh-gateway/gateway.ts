// The mesh gateway: routes TCP connections by the TLS SNI of their ClientHello, without decrypting,
// to the exported service's local sidecars or (local mode) to the peer's gateways.
import net from 'node:net';
import type { Logger } from '../../lib/log.js';
import { ApiError, type IsthmusClient } from '../../sdk/client.js';
import { parseClientHelloSni } from '../tls/client-hello.js';
import { pipeBoth, SocketSet, TtlCache } from '../pipe.js';
import { routeSni } from './routes.js';

const HELLO_TIMEOUT_MS = 5_000;
const MAX_HELLO_BYTES = 16 * 1024 + 5;
const LOOKUP_TTL_MS = 1_000;

export interface MeshGatewayOptions {
  service: string;
  /** host:port to listen on (LAN address). */
  address: string;
  /** host:port peers reach this gateway at. */
  wanAddress: string;
  register: boolean;
}

function split(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

export class MeshGateway {
  readonly #client: IsthmusClient;
  readonly #log: Logger;
  readonly #o: MeshGatewayOptions;
  readonly #server: net.Server;
  readonly #cache = new TtlCache<{ host: string; port: number }[]>(LOOKUP_TTL_MS);
  readonly #exports = new TtlCache<Map<string, Set<string>>>(LOOKUP_TTL_MS);
  readonly #sockets = new SocketSet();
  #trustDomain = '';
  #id = '';

  constructor(deps: { client: IsthmusClient; log: Logger }, options: MeshGatewayOptions) {
    this.#client = deps.client;
    this.#log = deps.log;
    this.#o = options;
    this.#server = net.createServer((s) => {
      this.#sockets.add(s);
      this.#onConnection(s);
    });
  }

  async start(): Promise<{ host: string; port: number }> {
    this.#trustDomain = (await this.#client.roots()).TrustDomain;
    const lan = split(this.#o.address);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(lan.port, lan.host, () => resolve());
    });
    const bound = { host: lan.host, port: (this.#server.address() as net.AddressInfo).port };
    if (this.#o.register) {
      const wan = split(this.#o.wanAddress || `${bound.host}:${bound.port}`);
      const wanPort = wan.port || bound.port;
      this.#id = this.#o.service;
      await this.#client.registerService({
        Kind: 'mesh-gateway',
        ID: this.#id,
        Name: this.#o.service,
        Address: bound.host,
        Port: bound.port,
        TaggedAddresses: { lan: { Address: bound.host, Port: bound.port }, wan: { Address: wan.host, Port: wanPort } },
        Check: { Name: 'Mesh Gateway Listening', TCP: `${bound.host}:${bound.port}`, Interval: '10s' },
      });
    }
    return bound;
  }

  async stop(): Promise<void> {
    if (this.#id) await this.#client.deregisterService(this.#id).catch(() => undefined);
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    this.#sockets.destroyAll();
    await closed;
  }

  #onConnection(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => sock.destroy(), HELLO_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const r = parseClientHelloSni(buf);
      if (r.status === 'incomplete' && buf.length < MAX_HELLO_BYTES) return;
      sock.off('data', onData);
      sock.pause();
      clearTimeout(timer);
      if (r.status !== 'ok') {
        this.#log.warn('refused a connection without a usable SNI', { reason: r.status });
        sock.destroy();
        return;
      }
      this.#forward(sock, r.sni, buf).catch((err: unknown) => {
        this.#log.warn('refused a connection', { sni: r.sni, reason: (err as Error).message });
        sock.destroy();
      });
    };
    sock.on('data', onData);
    sock.on('error', () => sock.destroy());
  }

  async #forward(sock: net.Socket, sni: string, hello: Buffer): Promise<void> {
    const targets = await this.#targets(sni);
    if (targets.length === 0) throw new Error(`no route for SNI "${sni}"`);
    const t = targets[Math.floor(Math.random() * targets.length)] as { host: string; port: number };
    const up = net.connect({ host: t.host, port: t.port });
    this.#sockets.add(up);
    this.#log.debug('routing a connection', { sni, to: `${t.host}:${t.port}`, route: routeSni(sni, this.#trustDomain).kind });
    up.once('connect', () => {
      up.write(hello);
      pipeBoth(sock, up);
      sock.resume();
    });
    up.once('error', () => sock.destroy());
  }

  /**
   * The gRPC TLS address of the server this gateway is attached to: from /v1/agent/self, or, for a token without
   * agent:read (consul-k8s's mesh-gateway policy grants only service/node reads), from the servers' `consul`
   * service in the catalog (its `grpc_tls_port` meta).
   */
  async #localServer(): Promise<{ host: string; port: number }[]> {
    try {
      const self = await this.#client.self();
      const port = self.xDS?.Ports?.TLS ?? 0;
      const host = self.Member?.Addr || '127.0.0.1';
      return port > 0 ? [{ host, port }] : [];
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403)) throw err;
      const servers = await this.#client.request<{ Address: string; ServiceAddress?: string; ServiceMeta?: Record<string, string> }[]>('GET', '/v1/catalog/service/consul');
      return servers.filter((e) => Number(e.ServiceMeta?.grpc_tls_port) > 0).map((e) => ({ host: e.ServiceAddress || e.Address, port: Number(e.ServiceMeta?.grpc_tls_port) }));
    }
  }

  /** Where a SNI goes: exported services to their healthy local sidecars, remote SNIs to peer gateways. */
  async #targets(sni: string): Promise<{ host: string; port: number }[]> {
    const route = routeSni(sni, this.#trustDomain);
    if (route.kind === 'exported') {
      const exported = await this.#exports.get('all', async () => {
        const m = new Map<string, Set<string>>();
        for (const e of await this.#client.exportedServices()) m.set(e.Service, new Set(e.Consumers.Peers ?? []));
        return m;
      });
      if (!exported.get(route.service)?.has(route.peer)) throw new Error(`service "${route.service}" is not exported to peer "${route.peer}"`);
      return this.#cache.get(sni, async () =>
        (await this.#client.healthConnect(route.service, { passing: true })).map((e) => ({ host: e.Service.Address || e.Node.Address, port: e.Service.Port ?? 0 })),
      );
    }
    if (route.kind === 'server' || route.kind === 'remote-server') {
      // Control-plane traffic is only carried when the mesh entry asks for it (§7.2, §10.3).
      const mesh = await this.#client.configReadOptional('mesh', 'mesh');
      if (!(mesh?.Peering as { PeerThroughMeshGateways?: boolean } | undefined)?.PeerThroughMeshGateways) throw new Error('peering through mesh gateways is not enabled in the mesh config entry');
      if (route.kind === 'server') {
        return this.#cache.get(sni, () => this.#localServer());
      }
      return this.#cache.get(sni, async () => {
        const p = (await this.#client.peeringList()).find((x) => x.PeerServerName === sni);
        return (p?.PeerServerAddresses ?? []).map((a) => {
          const i = a.lastIndexOf(':');
          return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
        });
      });
    }
    if (route.kind === 'remote') {
      return this.#cache.get(sni, async () => {
        const service = sni.split('.')[0] as string;
        const out: { host: string; port: number }[] = [];
        for (const p of await this.#client.peeringList()) {
          for (const e of await this.#client.healthService(`${service}-sidecar-proxy`, { peer: p.Name, passing: true })) {
            if (e.Service.Connect?.PeerMeta?.SNI.includes(sni)) out.push({ host: e.Service.Address || e.Node.Address, port: e.Service.Port ?? 0 });
          }
        }
        return out;
      });
    }
    return [];
  }
}
