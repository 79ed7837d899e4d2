// The HTTP-aware inbound side, used when the caller's intention carries L7 permissions: each
// request is checked (first matching permission wins; 403 "RBAC: access denied" otherwise) and
// forwarded to the local application.
import http from 'node:http';
import type net from 'node:net';
import type { Logger } from '../../lib/log.js';
import { permitted, RBAC_DENIED, type Permission } from '../l7/permissions.js';

interface Decider {
  perms: Permission[];
  defaultAllow: boolean;
  source: string;
}

export class HttpInbound {
  readonly #server: http.Server;
  readonly #deciders = new WeakMap<net.Socket, Decider>();
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #app: () => { host: string; port: number };
  readonly #log: Logger;

  constructor(deps: { app: () => { host: string; port: number }; log: Logger }) {
    this.#app = deps.app;
    this.#log = deps.log;
    this.#server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => this.#handle(req, res));
  }

  accept(sock: net.Socket, d: Decider): void {
    this.#deciders.set(sock, d);
    this.#server.emit('connection', sock);
    sock.resume();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const d = this.#deciders.get(req.socket);
    const url = new URL(req.url ?? '/', 'http://x');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
    if (!d || !permitted(d.perms, { method: req.method ?? 'GET', path: url.pathname, headers, query: url.searchParams }, d.defaultAllow)) {
      this.#log.info('request denied by L7 intention', { source: d?.source, method: req.method, path: url.pathname });
      res.writeHead(RBAC_DENIED.status, { 'content-type': 'text/plain', 'content-length': String(RBAC_DENIED.body.length) });
      res.end(RBAC_DENIED.body);
      req.resume();
      return;
    }
    const app = this.#app();
    const up = http.request({ host: app.host, port: app.port, method: req.method, path: req.url, headers: req.headers, agent: this.#agent });
    up.on('response', (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (err) => {
      this.#log.warn('local application unreachable', { error: err.message });
      if (!res.headersSent) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('local application unreachable');
      } else res.destroy();
    });
    req.pipe(up);
  }

  close(): void {
    this.#agent.destroy();
    this.#server.close();
    this.#server.closeAllConnections();
  }
}
