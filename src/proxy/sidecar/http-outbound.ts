// The HTTP-aware outbound side: parses the application's requests, routes each through its
// discovery chain (router → splitter → resolver) and forwards it over mTLS to the chosen target.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Logger } from '../../lib/log.js';
import { applyHeaderModifiers, routeRequest } from '../l7/route.js';
import { mtlsOptions } from './dial.js';
import type { TargetResolver } from './targets.js';
import type { Endpoint, Material } from './types.js';

function headerView(h: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

export class HttpOutbound {
  readonly #server: http.Server;
  readonly #chainOf = new WeakMap<net.Socket, string>();
  readonly #agents = new Map<string, https.Agent>();
  readonly #resolver: TargetResolver;
  readonly #material: () => Material;
  readonly #log: Logger;

  constructor(deps: { resolver: TargetResolver; material: () => Material; log: Logger }) {
    this.#resolver = deps.resolver;
    this.#material = deps.material;
    this.#log = deps.log;
    this.#server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => void this.#handle(req, res));
  }

  /** Serves HTTP on a connection whose requests go through the chain of `service`. */
  accept(sock: net.Socket, service: string): void {
    this.#chainOf.set(sock, service);
    this.#server.emit('connection', sock);
    sock.resume();
  }

  #agent(ep: Endpoint): https.Agent {
    const m = this.#material();
    const key = `${ep.host}:${ep.port}|${ep.sni}|${m.certPem.length}:${m.certPem.slice(-40)}`;
    let a = this.#agents.get(key);
    if (!a) {
      a = new https.Agent({ keepAlive: true, maxSockets: 256, ...mtlsOptions(ep, m) });
      if (this.#agents.size > 256) {
        for (const old of this.#agents.values()) old.destroy();
        this.#agents.clear();
      }
      this.#agents.set(key, a);
    }
    return a;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const service = this.#chainOf.get(req.socket) ?? '';
    const url = new URL(req.url ?? '/', 'http://x');
    let ep: Endpoint;
    let decision;
    try {
      const chain = await this.#resolver.chain(service);
      decision = routeRequest(chain, { method: req.method ?? 'GET', path: url.pathname, headers: headerView(req.headers), query: url.searchParams });
      if (!decision) throw new Error('no route matched');
      ep = await this.#resolver.pick(chain, decision.targets);
    } catch (err) {
      this.#log.warn('no upstream for a request', { upstream: service, path: url.pathname, reason: (err as Error).message });
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('no healthy upstream');
      req.resume();
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    applyHeaderModifiers(headers, decision.requestHeaders);
    const up = https.request({ ...mtlsOptions(ep, this.#material()), agent: this.#agent(ep), method: req.method, path: (decision.path ?? url.pathname) + url.search, headers });
    up.on('response', (r) => {
      const h: Record<string, string | string[] | undefined> = { ...r.headers };
      applyHeaderModifiers(h, decision.responseHeaders);
      res.writeHead(r.statusCode ?? 502, h as http.OutgoingHttpHeaders);
      r.pipe(res);
    });
    up.on('error', (err) => {
      this.#log.warn('upstream request failed', { upstream: service, reason: err.message });
      if (!res.headersSent) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('upstream connect error or disconnect/reset before headers');
      } else res.destroy();
    });
    req.pipe(up);
  }

  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
    this.#server.close();
    this.#server.closeAllConnections();
  }
}
