// What one HTTP client may cost the server (issue 10): body size, header/body/keep-alive timeouts,
// connections per client address and in total. Blocking queries are not cut: Node's request timeout
// covers receiving the request only, and an idle socket waiting for a response has no timeout.
import { createServer, IncomingMessage, ServerResponse, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** Largest request body accepted; larger ones get 413. */
  bodyBytes: number;
  /** A client must finish sending its request headers within this time (slowloris). */
  headersTimeoutMs: number;
  /** …and the whole request (headers and body) within this time. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this time. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two timeouts above. */
  checkIntervalMs: number;
  /** Concurrent connections one client address may hold (Consul's limits.http_max_conns_per_client). */
  maxConnsPerClient: number;
  /**
   * Loopback clients are not capped per address: sidecars, gateways, the CLI and local tooling all share
   * 127.0.0.1 (10,000 blocking queries from one local process are normal); the total cap still holds.
   */
  exemptLoopback: boolean;
  /** Concurrent connections in total. */
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  bodyBytes: 32 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  checkIntervalMs: 1_000,
  maxConnsPerClient: 200,
  exemptLoopback: true,
  maxConnections: 16_384,
};

/** The 413 text (Consul-like: says what the limit is). */
export function bodyTooLargeMessage(limit: number): string {
  return `Request body too large, max size: ${limit} bytes`;
}

/** Consul's answer when one address holds too many connections. */
export const TOO_MANY_CONNECTIONS = 'Your IP is issuing too many concurrent connections, please rate limit your calls\n';

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.');
}

function refuse(socket: Socket, status: string, text: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  socket.destroySoon();
}

/**
 * Creates the Node HTTP server with the limits applied (used as Fastify's serverFactory); responses are
 * instances of `responseClass` (the API's header spelling).
 */
export function createLimitedServer(
  handler: RequestListener<typeof IncomingMessage, typeof ServerResponse>,
  limits: HttpLimits,
  responseClass: typeof ServerResponse = ServerResponse,
): Server {
  const server = createServer(
    {
      ServerResponse: responseClass,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    handler,
  );
  // Node checks requestTimeout only when it is larger than headersTimeout; keep both set explicitly.
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const perClient = new Map<string, number>();
  let total = 0;
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (perClient.get(addr) ?? 0) + 1;
    perClient.set(addr, n);
    total += 1;
    socket.once('close', () => {
      total -= 1;
      const left = (perClient.get(addr) ?? 1) - 1;
      if (left <= 0) perClient.delete(addr);
      else perClient.set(addr, left);
    });
    if (n > limits.maxConnsPerClient && !(limits.exemptLoopback && isLoopback(addr))) refuse(socket, '429 Too Many Requests', TOO_MANY_CONNECTIONS);
    else if (total > limits.maxConnections) refuse(socket, '503 Service Unavailable', 'Too many concurrent connections to this agent\n');
  });
  return server;
}
