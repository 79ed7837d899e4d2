// The sidecar proxy: terminates inbound mTLS (local roots and every peer's bundle), authorizes the
// caller's SPIFFE ID against intentions, forwards to the local app; opens one listener per upstream
// and dials peered upstreams through the exporter's mesh gateways with the peer's SNI and roots.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../../lib/log.js';
import type { AgentService, IsthmusClient } from '../../sdk/client.js';
import { chainEndsIn, splitPems, uriSans } from '../tls/identity.js';
import { pipeBoth, SocketSet, TtlCache } from '../pipe.js';
import { DecisionCache, SessionStore, VerifiedIdentities } from './decisions.js';
import { HTTP_PROTOCOLS } from '../l7/route.js';
import { originalDstUnavailable } from '../tproxy/original-dst.js';
import { DEFAULT_OUTBOUND_PORT } from '../tproxy/rules.js';
import { mtlsOptions } from './dial.js';
import { HttpInbound } from './http-inbound.js';
import { HttpOutbound } from './http-outbound.js';
import { TargetResolver } from './targets.js';
import { TransparentOutbound } from './transparent.js';
import { startExposeListeners, type ExposeListener } from './expose.js';
import type { Endpoint, Material } from './types.js';

export const DEFAULT_REFRESH_MS = 5_000;
/** Endpoint lookups are reused this long. */
export const DECISION_TTL_MS = 1_000;
/** Pause before re-watching intentions after the agent failed to answer. */
const WATCH_RETRY_MS = 1_000;

type Upstream = NonNullable<NonNullable<AgentService['Proxy']>['Upstreams']>[number];

function tdOf(uri: string): string {
  return (/^spiffe:\/\/([^/]+)\//.exec(uri)?.[1] ?? '').toLowerCase();
}

export interface SidecarOptions {
  /** ID of the service this proxy fronts; the proxy's own ID is `<id>-sidecar-proxy`. */
  sidecarFor: string;
  /** How often leaf, roots and peer bundles are re-read. @default DEFAULT_REFRESH_MS */
  refreshMs?: number;
  /** Address the inbound listener binds to. @default the proxy's registered address or 127.0.0.1 */
  bind?: string;
  /** The proxy's own service ID (instead of `<sidecarFor>-sidecar-proxy`), e.g. from an injected pod's proxy-id file. */
  proxyId?: string;
  /** Read the registration from this catalog node (agentless, e.g. `<k8s-node>-virtual`) instead of the agent. */
  nodeName?: string;
  /** Plain TCP listeners forwarded to the local app (rewritten Kubernetes HTTP probes). */
  expose?: ExposeListener[];
}

export class SidecarProxy {
  readonly #client: IsthmusClient;
  readonly #log: Logger;
  readonly #o: SidecarOptions;
  #svc!: AgentService;
  #m!: Material;
  #inbound: tls.Server | undefined;
  readonly #outbound: net.Server[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #sockets = new SocketSet();
  /** Authorization answers, dropped whenever the intentions of our destination change (blocking query). */
  readonly #authz = new DecisionCache<{ Authorized: boolean; Reason: string; Permissions?: unknown[]; DefaultAllow?: boolean }>();
  readonly #verified = new VerifiedIdentities();
  readonly #tlsSessions = new SessionStore();
  readonly #stopping = new AbortController();
  #resolver!: TargetResolver;
  #httpOut!: HttpOutbound;
  #httpIn!: HttpInbound;
  #transparent: TransparentOutbound | undefined;
  readonly #endpoints = new TtlCache<Endpoint>(DECISION_TTL_MS);

  constructor(deps: { client: IsthmusClient; log: Logger }, options: SidecarOptions) {
    this.#client = deps.client;
    this.#log = deps.log;
    this.#o = options;
  }

  get #destination(): string {
    return this.#svc.Proxy?.DestinationServiceName ?? '';
  }

  async #load(): Promise<Material> {
    const [leaf, roots, bundles] = await Promise.all([this.#client.leaf(this.#destination), this.#client.roots(), this.#client.trustBundles(this.#destination)]);
    const datacenter = /\/dc\/([^/]+)\//.exec(leaf.ServiceURI)?.[1] ?? '';
    return { datacenter, certPem: leaf.CertPEM, keyPem: leaf.PrivateKeyPEM, trustDomain: roots.TrustDomain.toLowerCase(), localRoots: roots.Roots.map((r) => r.RootCert), bundles };
  }

  #serverContext(): tls.SecureContextOptions {
    return { cert: this.#m.certPem, key: this.#m.keyPem, ca: [...this.#m.localRoots, ...this.#m.bundles.flatMap((b) => b.RootPEMs)] };
  }

  /** The proxy's registration: from the agent, or (agentless) from the catalog node that holds it. */
  async #registration(): Promise<AgentService> {
    const id = this.#o.proxyId ?? `${this.#o.sidecarFor}-sidecar-proxy`;
    const node = this.#o.nodeName;
    if (!node) return this.#client.agentService(id);
    const r = await this.#client.request<{ Services?: AgentService[] | null } | null>('GET', `/v1/catalog/node-services/${encodeURIComponent(node)}`);
    const svc = r?.Services?.find((x) => x.ID === id);
    if (!svc) throw new Error(`proxy service with ID "${id}" not found on node "${node}"`);
    return svc;
  }

  /** Reads the registration and certificates, then listens: inbound on the proxy port, one per upstream. */
  async start(): Promise<{ inbound: number; upstreams: Record<string, number>; transparent?: number }> {
    this.#svc = await this.#registration();
    if (this.#svc.Kind !== 'connect-proxy' || !this.#svc.Proxy) throw new Error(`service "${this.#svc.ID}" is not a connect-proxy`);
    this.#m = await this.#load();
    const material = (): Material => this.#m;
    this.#resolver = new TargetResolver({ client: this.#client, material, log: this.#log });
    this.#httpOut = new HttpOutbound({ resolver: this.#resolver, material, log: this.#log });
    this.#httpIn = new HttpInbound({
      app: () => ({ host: this.#svc.Proxy?.LocalServiceAddress || '127.0.0.1', port: this.#svc.Proxy?.LocalServicePort ?? 0 }),
      log: this.#log,
    });
    this.#inbound = tls.createServer({ ...this.#serverContext(), requestCert: true, rejectUnauthorized: true }, (s) => {
      this.#sockets.add(s);
      void this.#onInbound(s);
    });
    // Health checks connect without TLS and hang up; real handshake failures are worth a warning.
    this.#inbound.on('tlsClientError', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || /socket hang up/.test(err.message)) this.#log.debug('inbound connection closed before TLS', { reason: err.message });
      else this.#log.warn('refused an inbound TLS client', { reason: err.message });
    });
    const tproxy = await this.#transparentSettings();
    // Transparent proxies receive redirected inbound traffic on any local address (as Envoy's public listener).
    const bind = this.#o.bind ?? (this.#svc.Address || (tproxy ? '0.0.0.0' : '127.0.0.1'));
    await new Promise<void>((r, j) => this.#inbound!.once('error', j).listen(this.#svc.Port, bind, () => r()));
    const upstreams: Record<string, number> = {};
    for (const u of this.#svc.Proxy.Upstreams ?? []) {
      // Transparent proxies may leave upstreams without a listener: the outbound listener serves them.
      if (!u.LocalBindPort) continue;
      // A local upstream whose chain is HTTP-like gets HTTP-aware routing (routers, splitters, subsets);
      // the protocol is read per connection (cached 1 s), so a service-defaults change applies without a restart.
      const server = net.createServer((s) => {
        this.#sockets.add(s);
        s.pause();
        s.on('error', () => s.destroy());
        if (u.DestinationPeer) return void this.#onOutbound(s, u);
        this.#resolver.chain(u.DestinationName).then(
          (c) => (HTTP_PROTOCOLS.has(c.Protocol) ? this.#httpOut.accept(s, u.DestinationName) : void this.#onOutbound(s, u)),
          (err: Error) => {
            this.#log.debug('cannot read the discovery chain of an upstream; using TCP', { upstream: u.DestinationName, reason: err.message });
            void this.#onOutbound(s, u);
          },
        );
      });
      await new Promise<void>((r, j) => server.once('error', j).listen(u.LocalBindPort ?? 0, u.LocalBindAddress || '127.0.0.1', () => r()));
      this.#outbound.push(server);
      upstreams[`${u.DestinationPeer ? `${u.DestinationPeer}/` : ''}${u.DestinationName}`] = (server.address() as net.AddressInfo).port;
    }
    if (this.#o.expose?.length) {
      const host = this.#svc.Proxy.LocalServiceAddress || '127.0.0.1';
      this.#outbound.push(...(await startExposeListeners(this.#o.expose, tproxy ? '0.0.0.0' : bind, host, this.#sockets)));
    }
    let transparent: number | undefined;
    if (tproxy) {
      const why = originalDstUnavailable();
      if (why) throw new Error(`transparent mode needs original destinations: ${why}`);
      this.#transparent = new TransparentOutbound({
        client: this.#client,
        resolver: this.#resolver,
        http: this.#httpOut,
        log: this.#log,
        sockets: this.#sockets,
        connect: (client, ep, what) => this.#join(client, ep, what),
      });
      transparent = await this.#transparent.listen(tproxy.port);
    }
    this.#timer = setInterval(() => void this.#refresh(), this.#o.refreshMs ?? DEFAULT_REFRESH_MS);
    this.#timer.unref();
    void this.#watchIntentions();
    return { inbound: (this.#inbound.address() as net.AddressInfo).port, upstreams, ...(transparent !== undefined ? { transparent } : {}) };
  }

  /**
   * Mode and outbound port (spec §2): the registration's, else service-defaults of the destination,
   * else proxy-defaults; undefined when the proxy is not transparent.
   */
  async #transparentSettings(): Promise<{ port: number } | undefined> {
    const p = this.#svc.Proxy;
    const sd = await this.#client.configReadOptional('service-defaults', this.#destination).catch(() => undefined);
    const pd = await this.#client.configReadOptional('proxy-defaults', 'global').catch(() => undefined);
    const mode = p?.Mode || (sd?.Mode as string | undefined) || (pd?.Mode as string | undefined) || '';
    if (mode !== 'transparent') return undefined;
    const portOf = (x: unknown): number | undefined => (x as { OutboundListenerPort?: number } | undefined)?.OutboundListenerPort || undefined;
    return { port: portOf(p?.TransparentProxy) ?? portOf(sd?.TransparentProxy) ?? portOf(pd?.TransparentProxy) ?? DEFAULT_OUTBOUND_PORT };
  }

  /** New leaf, rotated roots, new peer bundles: new handshakes use them; open connections stay. */
  async #refresh(): Promise<void> {
    try {
      const next = await this.#load();
      if (next.certPem === this.#m.certPem && JSON.stringify(next.localRoots) === JSON.stringify(this.#m.localRoots) && JSON.stringify(next.bundles) === JSON.stringify(this.#m.bundles)) return;
      this.#m = next;
      // New trust: identities, decisions and sessions established under the old one are re-checked.
      this.#verified.clear();
      this.#authz.invalidate();
      this.#tlsSessions.clear();
      this.#inbound?.setSecureContext(this.#serverContext());
      this.#log.info('proxy certificates refreshed');
    } catch (err) {
      this.#log.warn('cannot refresh proxy certificates; keeping the current ones', { error: (err as Error).message });
    }
  }

  /** Drops cached authorization answers whenever the intentions deciding our destination change. */
  async #watchIntentions(): Promise<void> {
    const signal = this.#stopping.signal;
    let index = 0;
    while (!signal.aborted) {
      try {
        const next = await this.#client.watchIntentions(this.#destination, index, { signal });
        if (next !== index) {
          if (index !== 0) this.#log.debug('intentions changed; dropping cached authorizations', { index: next });
          this.#authz.invalidate();
        }
        index = next < index ? 0 : next;
      } catch (err) {
        if (signal.aborted) return;
        // Without change notices, decisions cannot be trusted for long: drop them and retry.
        this.#authz.invalidate();
        index = 0;
        this.#log.debug('cannot watch intentions; retrying', { error: (err as Error).message });
        await new Promise((r) => setTimeout(r, WATCH_RETRY_MS).unref());
      }
    }
  }

  async #onInbound(sock: tls.TLSSocket): Promise<void> {
    sock.on('error', () => sock.destroy());
    sock.pause();
    const peer = sock.getPeerCertificate(true);
    const uri = uriSans(peer.subjectaltname).find((u) => u.startsWith('spiffe://'));
    if (!uri) return void sock.destroy();
    // A resumed session carries a certificate whose chain we verified on its full handshake.
    const known = sock.isSessionReused() && this.#verified.lookup(peer.fingerprint256) === uri;
    if (!known) {
      // The chain must end in the roots of the trust domain the certificate claims.
      const td = tdOf(uri);
      const roots = td === this.#m.trustDomain ? this.#m.localRoots : (this.#m.bundles.find((b) => b.TrustDomain.toLowerCase() === td)?.RootPEMs ?? []);
      if (roots.length === 0 || !chainEndsIn(peer, splitPems(roots))) {
        this.#log.warn('refused a client whose certificate does not chain to its trust domain', { uri, resumed: sock.isSessionReused() });
        return void sock.destroy();
      }
      this.#verified.remember(peer.fingerprint256, uri);
    }
    let auth: { Authorized: boolean; Reason: string; Permissions?: unknown[]; DefaultAllow?: boolean };
    try {
      auth = await this.#authz.get(uri, () => this.#client.authorize(this.#destination, uri));
    } catch (err) {
      this.#log.error('cannot authorize a connection; refusing it', { error: (err as Error).message });
      return void sock.destroy();
    }
    if (!auth.Authorized && auth.Permissions && auth.Permissions.length > 0) {
      // L7 intention: decide per request.
      return this.#httpIn.accept(sock, { perms: auth.Permissions as never, defaultAllow: auth.DefaultAllow === true, source: uri });
    }
    if (!auth.Authorized) {
      this.#log.info('connection denied by intentions', { source: uri, reason: auth.Reason, resumed: sock.isSessionReused() });
      return void sock.destroy();
    }
    this.#log.debug('inbound connection authorized', { source: uri, resumed: sock.isSessionReused() });
    const proxy = this.#svc.Proxy as NonNullable<AgentService['Proxy']>;
    const app = net.connect({ host: proxy.LocalServiceAddress || '127.0.0.1', port: proxy.LocalServicePort ?? 0 });
    this.#sockets.add(app);
    app.once('connect', () => {
      pipeBoth(sock, app);
      sock.resume();
    });
    app.once('error', (err) => {
      this.#log.warn('local application unreachable', { error: err.message });
      sock.destroy();
    });
  }

  /**
   * The mesh gateway mode of an upstream: its own, else the proxy's, else service-defaults of the
   * destination, else proxy-defaults; peered upstreams default to "remote" (spec §7.5).
   */
  async #gatewayMode(u: Upstream): Promise<string> {
    const own = u.MeshGateway?.Mode || this.#svc.Proxy?.MeshGateway?.Mode;
    if (own) return own;
    const sd = await this.#client.configReadOptional('service-defaults', u.DestinationName);
    const sdMode = (sd?.MeshGateway as { Mode?: string } | undefined)?.Mode;
    if (sdMode) return sdMode;
    const pd = await this.#client.configReadOptional('proxy-defaults', 'global');
    return (pd?.MeshGateway as { Mode?: string } | undefined)?.Mode || 'remote';
  }

  /** Where an upstream connection goes, with the TLS name and identities to expect there. */
  async #endpoint(u: Upstream): Promise<Endpoint> {
    if (!u.DestinationPeer) {
      // Discovery chain basics: a resolver may redirect to a peer, or fail over to one when every
      // local instance is unhealthy.
      const resolver = await this.#client.configReadOptional('service-resolver', u.DestinationName);
      const redirect = resolver?.Redirect as { Service?: string; Peer?: string } | undefined;
      if (redirect?.Peer) return this.#endpoint({ ...u, DestinationName: redirect.Service || u.DestinationName, DestinationPeer: redirect.Peer });
      const local = await this.#client.healthConnect(u.DestinationName, { passing: true });
      if (local.length === 0) {
        const failover = (resolver?.Failover as Record<string, { Targets?: { Peer?: string; Service?: string }[] }> | undefined)?.['*'];
        for (const t of failover?.Targets ?? []) {
          if (!t.Peer) continue;
          try {
            return await this.#endpoint({ ...u, DestinationName: t.Service || u.DestinationName, DestinationPeer: t.Peer });
          } catch {
            // try the next target
          }
        }
      }
    }
    const mode = await this.#gatewayMode(u);
    if (u.DestinationPeer) {
      const bundle = this.#m.bundles.find((b) => b.PeerName === u.DestinationPeer);
      if (!bundle) throw new Error(`no trust bundle from peer "${u.DestinationPeer}" yet`);
      const remote = (await this.#client.healthConnect(u.DestinationName, { peer: u.DestinationPeer, passing: true })).filter((e) => e.Service.Connect?.PeerMeta);
      const pick = remote[Math.floor(Math.random() * remote.length)];
      if (!pick) throw new Error(`no healthy instances of "${u.DestinationName}" imported from peer "${u.DestinationPeer}"`);
      const meta = pick.Service.Connect?.PeerMeta as { SNI: string[]; SpiffeID: string[] };
      let host = pick.Service.Address || pick.Node.Address;
      let port = pick.Service.Port ?? 0;
      if (mode === 'local') {
        const gw = (await this.#client.healthService('mesh-gateway', { passing: true })).find((e) => e.Service.Kind === 'mesh-gateway');
        if (!gw) throw new Error('mesh gateway mode "local" needs a local mesh gateway, and none is registered');
        const lan = gw.Service.TaggedAddresses?.lan;
        host = lan?.Address || gw.Service.Address || gw.Node.Address;
        port = lan?.Port || gw.Service.Port || 0;
      }
      return { host, port, sni: meta.SNI[0] as string, spiffe: meta.SpiffeID, ca: bundle.RootPEMs };
    }
    const local = await this.#client.healthConnect(u.DestinationName, { passing: true });
    const pick = local[Math.floor(Math.random() * local.length)];
    if (!pick) throw new Error(`no healthy connect instances of "${u.DestinationName}"`);
    const dc = this.#m.datacenter;
    return {
      host: pick.Service.Address || pick.Node.Address,
      port: pick.Service.Port ?? 0,
      sni: `${u.DestinationName}.default.${dc}.internal.${this.#m.trustDomain}`,
      spiffe: [`spiffe://${this.#m.trustDomain}/ns/default/dc/${dc}/svc/${u.DestinationName}`],
      ca: this.#m.localRoots,
    };
  }

  async #onOutbound(client: net.Socket, u: Upstream): Promise<void> {
    client.pause();
    client.on('error', () => client.destroy());
    let ep;
    try {
      ep = await this.#endpoints.get(`${u.DestinationPeer ?? ''}/${u.DestinationName}/${u.LocalBindPort ?? 0}`, () => this.#endpoint(u));
    } catch (err) {
      this.#log.warn('upstream unavailable', { upstream: u.DestinationName, peer: u.DestinationPeer, reason: (err as Error).message });
      return void client.destroy();
    }
    this.#join(client, ep, u.DestinationPeer ? `${u.DestinationPeer}/${u.DestinationName}` : u.DestinationName);
  }

  /** Dials an endpoint with mTLS and joins it to the client connection. */
  #join(client: net.Socket, ep: Endpoint, what: string): void {
    const sessionKey = `${ep.host}:${ep.port}/${ep.sni}`;
    const session = this.#tlsSessions.get(sessionKey);
    // Resume the last session with this endpoint: no certificate signatures on the way back.
    const up = tls.connect({ ...mtlsOptions(ep, this.#m), ...(session ? { session } : {}) });
    this.#sockets.add(up);
    up.on('session', (s: Buffer) => this.#tlsSessions.set(sessionKey, s));
    up.once('secureConnect', () => {
      pipeBoth(client, up);
      client.resume();
    });
    up.once('error', (err) => {
      this.#tlsSessions.forget(sessionKey);
      this.#log.warn('upstream connection failed', { upstream: what, reason: err.message });
      client.destroy();
    });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#stopping.abort();
    this.#httpOut?.close();
    this.#httpIn?.close();
    await this.#transparent?.close();
    const closed = Promise.all([this.#inbound, ...this.#outbound].filter((s): s is net.Server => !!s).map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#sockets.destroyAll();
    await closed;
  }
}
