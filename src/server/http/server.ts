// The HTTP server: the only file that imports the framework. Adapts the route table to Fastify and
// renders results and errors with Consul's conventions (plain-text errors, 405 + Allow, ?pretty).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { invalid, IsthmusError, toIsthmusError } from '../../lib/errors.js';
import { depthMessage } from '../../lib/nesting.js';
import type { Logger } from '../../lib/log.js';
import { HTTP_STATUS } from './errors.js';
import { bodyTooLargeMessage, createLimitedServer, DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.js';
import { notImplementedText, unimplementedConsulEndpoint } from './consul-endpoints.js';
import { canonicalHeaderKey, consulResponseClass } from './header-case.js';
import { ALLOW_ALL, type Authorizer } from '../acl/authorizer.js';
import { authorizeRoute } from './authorize.js';
import { tokenOf, type HttpRequest, type HttpResult, type Query } from './request.js';
import type { HttpMethod, Route } from './routes.js';

/** The most a request body may hold. */
export const DEFAULT_BODY_LIMIT_BYTES = DEFAULT_HTTP_LIMITS.bodyBytes;
const ALL_METHODS: HttpMethod[] = ['GET', 'PUT', 'POST', 'DELETE'];
const NOT_API = "Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n";
const NOT_ENDPOINT = 'Invalid URL path: not a recognized HTTP API endpoint\n';

export interface HttpServerOptions {
  log: Logger;
  /** @default DEFAULT_BODY_LIMIT_BYTES */
  bodyLimit?: number;
  /** Timeouts and connection caps (defaults: DEFAULT_HTTP_LIMITS). */
  limits?: Partial<HttpLimits>;
  /** Sent on every response (Consul's http_config.response_headers). */
  responseHeaders?: Record<string, string>;
  /** Resolves the request's token; throws for an unknown secret. @default allow-all (ACLs off) */
  authenticate?: (token: string | undefined) => Authorizer;
}

function send(reply: FastifyReply, result: HttpResult, pretty: boolean): FastifyReply {
  if (result.rawBody !== undefined && !pretty && result.body === undefined && result.text === undefined && result.bytes === undefined) {
    return sendCached(reply, result.status ?? 200, result.headers, result.rawBody);
  }
  reply.code(result.status ?? 200);
  for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
  const typed = Object.keys(result.headers ?? {}).some((k) => k.toLowerCase() === 'content-type');
  if (result.body !== undefined) return reply.send(result.body);
  if (result.text !== undefined) return (typed ? reply : reply.type('text/plain; charset=utf-8')).send(result.text);
  if (result.bytes !== undefined) return reply.send(result.bytes);
  let body = result.rawBody !== undefined ? result.rawBody.toString('utf8') : undefined;
  body ??= result.rawJson ?? (result.json === undefined ? undefined : JSON.stringify(result.json));
  // An empty answer has no Content-Type (Consul's 404 on a KV miss, empty 200s).
  if (body === undefined) return reply.removeHeader('content-type').send();
  if (pretty) body = JSON.stringify(JSON.parse(body), null, 4) + '\n';
  return reply.type('application/json').send(body);
}

/**
 * The hot path of every cached read (blocking queries, health and catalog lists): shared bytes with a
 * known length, written straight to the socket with the header names already canonical — no
 * per-response encoding, serializer, or framework send pipeline.
 */
function sendCached(reply: FastifyReply, status: number, headers: Record<string, string> | undefined, body: Buffer): FastifyReply {
  const wire: string[] = [];
  if (headers !== undefined) for (const k in headers) wire.push(canonicalHeaderKey(k), headers[k] as string);
  wire.push('Content-Type', 'application/json', 'Content-Length', String(body.length));
  reply.hijack();
  reply.raw.writeHead(status, wire).end(body);
  return reply;
}

const NO_BODY = Buffer.alloc(0);

export class HttpServer {
  readonly #app: FastifyInstance;
  readonly #log: Logger;
  readonly #authenticate: (token: string | undefined) => Authorizer;

  constructor(routes: Route[], options: HttpServerOptions) {
    this.#log = options.log;
    this.#authenticate = options.authenticate ?? (() => ALLOW_ALL);
    const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...(options.bodyLimit !== undefined ? { bodyBytes: options.bodyLimit } : {}), ...(options.limits ?? {}) };
    this.#app = Fastify({
      bodyLimit: limits.bodyBytes,
      // Header names in Go's canonical case and the configured response headers, on every response.
      serverFactory: (handler) => createLimitedServer(handler, limits, consulResponseClass(options.responseHeaders ?? {})),
      logger: false,
      return503OnClosing: true,
      // Blocked queries may wait minutes; closing must not wait for them.
      forceCloseConnections: true,
    });
    const app = this.#app;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    const methodsByPath = new Map<string, Set<HttpMethod>>();
    for (const r of routes) {
      let set = methodsByPath.get(r.path);
      if (!set) methodsByPath.set(r.path, (set = new Set()));
      if (set.has(r.method)) throw new Error(`duplicate route ${r.method} ${r.path}`);
      set.add(r.method);
      app.route({ method: r.method, url: r.path, handler: (req, reply) => this.#handle(r, req, reply) });
    }
    for (const [path, methods] of methodsByPath) {
      const allow = `OPTIONS,${[...methods].join(',')}`;
      app.route({ method: 'OPTIONS', url: path, handler: (_req, reply) => reply.header('Allow', allow).code(200).send('') });
      const others = ALL_METHODS.filter((m) => !methods.has(m));
      if (others.length > 0) {
        app.route({
          method: others,
          url: path,
          handler: (req, reply) => reply.header('Allow', allow).code(405).type('text/plain; charset=utf-8').send(`method ${req.method} not allowed`),
        });
      }
    }
    const routePaths = routes.map((r) => r.path);
    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?', 1)[0] as string;
      if (unimplementedConsulEndpoint(path, routePaths)) return reply.code(501).type('text/plain; charset=utf-8').send(notImplementedText(req.method, path));
      reply.code(404).type('text/plain; charset=utf-8');
      return reply.send(req.url.includes('/v1/') ? NOT_ENDPOINT : NOT_API);
    });
    app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      // Framework-level failures (body too large, bad content length): answer in Consul's plain text.
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) this.#log.error('unhandled HTTP error', { error: err.message, stack: err.stack });
      const text = status === 413 ? bodyTooLargeMessage(limits.bodyBytes) : status === 500 ? 'An unexpected error occurred' : err.message;
      return reply.code(status).type('text/plain; charset=utf-8').send(text);
    });
  }

  async #handle(route: Route, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const query = req.query as Query;
    const pretty = query.pretty !== undefined;
    // The abort signal is made on first use (blocking waits, forwarding): most requests never ask.
    let ac: AbortController | undefined;
    const onClose = (): void => ac?.abort();
    const signal = (): AbortSignal => {
      if (ac === undefined) {
        ac = new AbortController();
        req.raw.once('close', onClose);
        reply.raw.once('close', onClose);
        // The client may have gone while the handler was busy before asking.
        if (req.raw.destroyed || reply.raw.closed || req.raw.socket?.destroyed === true) ac.abort();
      }
      return ac.signal;
    };
    let tokenSlot = 'anonymous';
    try {
      if (query.ns !== undefined) {
        throw new IsthmusError('INVALID_ARGUMENT', 'Invalid query parameter: "ns" - Namespaces are a Consul Enterprise feature');
      }
      const partition = query.partition;
      if (partition !== undefined && partition !== '' && partition !== 'default') {
        throw new IsthmusError('INVALID_ARGUMENT', 'Invalid query parameter: "partition" - Partitions are a Consul Enterprise feature');
      }
      if (req.headers['x-consul-namespace'] !== undefined) {
        throw new IsthmusError('INVALID_ARGUMENT', 'Invalid header: "X-Consul-Namespace" - Namespaces are a Consul Enterprise feature');
      }
      const rawBody = Buffer.isBuffer(req.body) ? req.body : NO_BODY;
      const { token, slot } = tokenOf(query, req.headers);
      tokenSlot = slot;
      const request: HttpRequest = {
        method: req.method,
        route: route.path,
        url: req.url,
        params: req.params as Record<string, string>,
        query,
        headers: req.headers,
        body: rawBody.toString('utf8'),
        rawBody,
        rawQuery: req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '',
        get signal() {
          return signal();
        },
        authz: this.#authenticate(token),
        token,
      };
      authorizeRoute(route, request);
      const result = await route.handler(request);
      return send(reply, result, pretty);
    } catch (thrown) {
      // Last line of defence for class 1 of issue 10: a stack overflow here can only come from input
      // nested deeper than a decoder bounded it; answer as the decoders do instead of with a 500.
      const err = thrown instanceof RangeError && /call stack/i.test(thrown.message) ? invalid(`Request decode failed: ${depthMessage()}`) : toIsthmusError(thrown);
      const status = err.httpStatus ?? HTTP_STATUS[err.code];
      if (err.code === 'INTERNAL') {
        const cause = err.cause as Error | undefined;
        this.#log.error('request failed', { method: req.method, route: route.path, error: cause?.message ?? err.message, stack: cause?.stack });
      } else if (err.code === 'PERMISSION_DENIED') {
        // Name the permission, the resource and the token slot, never the token itself.
        this.#log.info('permission denied', { method: req.method, route: route.path, tokenSlot, ...(err.details ?? {}), reason: err.reason ?? '' });
      } else {
        this.#log.debug('request refused', { method: req.method, route: route.path, code: err.code, status });
      }
      return send(reply, { status, text: err.message }, false);
    } finally {
      if (ac !== undefined) {
        req.raw.off('close', onClose);
        reply.raw.off('close', onClose);
      }
    }
  }

  /** In-process requests for tests (no port bound). */
  inject(opts: InjectOptions): Promise<LightMyRequestResponse> {
    return this.#app.inject(opts);
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await this.#app.listen({ host, port });
    const addr = this.#app.server.address();
    return { host, port: typeof addr === 'object' && addr ? addr.port : port };
  }

  async close(): Promise<void> {
    await this.#app.close();
  }
}
