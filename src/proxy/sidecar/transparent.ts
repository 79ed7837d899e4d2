// The transparent proxy's outbound listener (default 127.0.0.1:15001): each redirected connection's
// original destination (SO_ORIGINAL_DST) is looked up among virtual IPs — local chains (HTTP-aware
// when the chain is) or services imported from peers (through the gateways) — else passed through or
// refused as the mesh entry's TransparentProxy.MeshDestinationsOnly says.
import net from 'node:net';
import type { Logger } from '../../lib/log.js';
import type { IsthmusClient } from '../../sdk/client.js';
import { HTTP_PROTOCOLS, tcpTargets, type ChainTargetView } from '../l7/route.js';
import { pipeBoth, SocketSet, TtlCache } from '../pipe.js';
import { originalDst } from '../tproxy/original-dst.js';
import type { HttpOutbound } from './http-outbound.js';
import type { TargetResolver } from './targets.js';
import type { Endpoint } from './types.js';

export type VipDestination = { peer: string; service: string };

/** Pure: which (peer, service) owns an IP, from the server's VIP table (auto and manual VIPs). */
export function vipTable(rows: { Service: string; Peer: string; VirtualIP: string; ManualVIPs: string[] }[]): Map<string, VipDestination> {
  const m = new Map<string, VipDestination>();
  for (const r of rows) {
    m.set(r.VirtualIP, { peer: r.Peer, service: r.Service });
    if (!r.Peer) for (const ip of r.ManualVIPs ?? []) m.set(ip, { peer: '', service: r.Service });
  }
  return m;
}

export interface TransparentDeps {
  client: IsthmusClient;
  resolver: TargetResolver;
  http: HttpOutbound;
  log: Logger;
  /** Dials an endpoint with mTLS and joins it to the client socket. */
  connect(client: net.Socket, ep: Endpoint, what: string): void;
  sockets: SocketSet;
}

export class TransparentOutbound {
  readonly #d: TransparentDeps;
  readonly #vips = new TtlCache<Map<string, VipDestination>>(1_000);
  readonly #meshOnly = new TtlCache<boolean>(1_000);
  #server: net.Server | undefined;

  constructor(deps: TransparentDeps) {
    this.#d = deps;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = net.createServer((s) => {
      this.#d.sockets.add(s);
      void this.#onConnection(s);
    });
    await new Promise<void>((r, j) => server.once('error', j).listen(port, host, () => r()));
    this.#server = server;
    return (server.address() as net.AddressInfo).port;
  }

  async #onConnection(sock: net.Socket): Promise<void> {
    sock.pause();
    sock.on('error', () => sock.destroy());
    let dst: { address: string; port: number };
    try {
      dst = originalDst(sock);
    } catch (err) {
      this.#d.log.warn('cannot read the original destination; closing', { reason: (err as Error).message });
      return void sock.destroy();
    }
    const own = this.#server?.address() as net.AddressInfo | undefined;
    if (own && dst.port === own.port && (dst.address === '127.0.0.1' || dst.address === own.address)) return void sock.destroy();
    try {
      const table = await this.#vips.get('vips', async () => vipTable(await this.#d.client.virtualIps()));
      const hit = table.get(dst.address);
      if (hit?.peer) return void (await this.#toPeer(sock, hit));
      if (hit) return void (await this.#toLocal(sock, hit.service));
    } catch (err) {
      this.#d.log.warn('transparent upstream unavailable', { destination: `${dst.address}:${dst.port}`, reason: (err as Error).message });
      return void sock.destroy();
    }
    await this.#unknown(sock, dst);
  }

  async #toLocal(sock: net.Socket, service: string): Promise<void> {
    const chain = await this.#d.resolver.chain(service);
    if (HTTP_PROTOCOLS.has(chain.Protocol)) return this.#d.http.accept(sock, service);
    const ep = await this.#d.resolver.pick(chain, tcpTargets(chain));
    this.#d.connect(sock, ep, service);
  }

  async #toPeer(sock: net.Socket, hit: VipDestination): Promise<void> {
    const id = `${hit.service}.default.default.external.${hit.peer}`;
    const target: ChainTargetView = { ID: id, Service: hit.service, Peer: hit.peer, Datacenter: '', MeshGateway: {}, Subset: {}, SNI: '' };
    const ep = await this.#d.resolver.pick({ ServiceName: hit.service, Protocol: 'tcp', StartNode: '', Nodes: {}, Targets: { [id]: target } }, [id]);
    this.#d.connect(sock, ep, `${hit.peer}/${hit.service}`);
  }

  /** Not a mesh destination: pass through to the original address, unless the mesh says mesh-only. */
  async #unknown(sock: net.Socket, dst: { address: string; port: number }): Promise<void> {
    const meshOnly = await this.#meshOnly
      .get('mesh', async () => ((await this.#d.client.configReadOptional('mesh', 'mesh'))?.TransparentProxy as { MeshDestinationsOnly?: boolean } | undefined)?.MeshDestinationsOnly === true)
      .catch(() => true);
    if (meshOnly) {
      this.#d.log.info('refused a connection to a destination outside the mesh (MeshDestinationsOnly)', { destination: `${dst.address}:${dst.port}` });
      return void sock.destroy();
    }
    const out = net.connect({ host: dst.address, port: dst.port });
    this.#d.sockets.add(out);
    out.once('connect', () => {
      pipeBoth(sock, out);
      sock.resume();
    });
    out.once('error', () => sock.destroy());
  }

  close(): Promise<void> {
    const s = this.#server;
    return new Promise((r) => (s ? s.close(() => r()) : r()));
  }
}
