// HTTP limits with raw sockets (issue 10): 413 over the body limit, slow and idle clients dropped by
// the header/request/keep-alive timeouts, a per-client connection cap, and slow *responses* (blocking
// queries) never cut.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SILENT_LOGGER } from '../../lib/log.js';
import { bodyTooLargeMessage, DEFAULT_HTTP_LIMITS, TOO_MANY_CONNECTIONS } from './limits.js';
import type { Route } from './routes.js';
import { HttpServer } from './server.js';

const LIMITS = { bodyBytes: 1024, headersTimeoutMs: 600, requestTimeoutMs: 1200, keepAliveTimeoutMs: 500, checkIntervalMs: 100, maxConnsPerClient: 4, exemptLoopback: false, maxConnections: 1000 };
const routes: Route[] = [
  { method: 'PUT', path: '/v1/echo', acl: { none: true }, handler: async (req) => ({ text: `got ${req.body.length}` }) },
  {
    method: 'GET',
    path: '/v1/slow',
    acl: { none: true },
    // Like a blocking query: answers after longer than the request timeout.
    handler: async () => {
      await new Promise((r) => setTimeout(r, 2000));
      return { text: 'late but fine' };
    },
  },
];

let server: HttpServer;
let port = 0;
before(async () => {
  server = new HttpServer(routes, { log: SILENT_LOGGER, limits: LIMITS });
  port = (await server.listen('127.0.0.1', 0)).port;
});
after(() => server.close());

/** Opens a raw socket; `closed` resolves with everything the server sent once it closes the connection. */
function raw(): Promise<{ socket: Socket; closed: Promise<{ text: string; afterMs: number }> }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    const closed = new Promise<{ text: string; afterMs: number }>((r) => socket.once('close', () => r({ text, afterMs: Date.now() - started })));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
    // Never leave a socket behind if an assertion fails.
    setTimeout(() => socket.destroy(), 15_000).unref();
  });
}

describe('HTTP limits', () => {
  it('exempts loopback clients from the per-address cap by default, not from the total cap', () => {
    assert.equal(DEFAULT_HTTP_LIMITS.exemptLoopback, true);
    assert.ok(DEFAULT_HTTP_LIMITS.maxConnections > 10_000, 'room for 10,000 blocking queries');
  });

  it('answers a body over the limit with 413 and a clear text', async () => {
    const r = await server.inject({ method: 'PUT', url: '/v1/echo', payload: 'x'.repeat(LIMITS.bodyBytes + 1) });
    assert.equal(r.statusCode, 413);
    assert.equal(r.body, bodyTooLargeMessage(LIMITS.bodyBytes));
    assert.equal(r.body, 'Request body too large, max size: 1024 bytes');
    const ok = await server.inject({ method: 'PUT', url: '/v1/echo', payload: 'x'.repeat(LIMITS.bodyBytes) });
    assert.equal(ok.statusCode, 200);
  });

  it('refuses an oversized chunked body on a real socket too', async () => {
    const { socket, closed } = await raw();
    socket.write('PUT /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    for (let i = 0; i < 4; i++) socket.write(`200\r\n${'y'.repeat(512)}\r\n`);
    socket.write('0\r\n\r\n');
    socket.end();
    const { text } = await closed;
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /Request body too large, max size: 1024 bytes/);
  });

  it('drops a client that connects and sends nothing', async () => {
    const { closed } = await raw();
    const { afterMs } = await closed;
    assert.ok(afterMs < 8000, `closed after ${afterMs} ms`);
  });

  it('drops a client that sends its headers too slowly (slowloris)', async () => {
    const { socket, closed } = await raw();
    const line = 'GET /v1/slow HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed && i < line.length) socket.write(line[i++] as string);
    }, 50);
    const { text, afterMs } = await closed;
    clearInterval(drip);
    assert.ok(afterMs < 8000, `closed after ${afterMs} ms`);
    assert.ok(i < line.length, 'closed before the client finished its headers');
    assert.ok(text === '' || /^HTTP\/1\.1 408 /.test(text), text);
  });

  it('drops a client that sends its body too slowly', async () => {
    const { socket, closed } = await raw();
    socket.write('PUT /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n');
    let sent = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed && sent < 500) {
        socket.write('z');
        sent++;
      }
    }, 50);
    const { afterMs } = await closed;
    clearInterval(drip);
    assert.ok(afterMs < 8000, `closed after ${afterMs} ms`);
    assert.ok(sent < 500, 'closed before the body was complete');
  });

  it('closes an idle keep-alive connection after a response', async () => {
    const { socket, closed } = await raw();
    socket.write('PUT /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi');
    const { text, afterMs } = await closed;
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /got 2/);
    assert.ok(afterMs < 8000, `closed after ${afterMs} ms`);
  });

  it('keeps waiting for a slow response (blocking queries are not cut by the request timeout)', async () => {
    const { socket, closed } = await raw();
    socket.write('GET /v1/slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const { text } = await closed;
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /late but fine/);
  });

  it('caps concurrent connections per client address with Consul’s 429 text (loopback exemption off here)', async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnsPerClient }, () => raw()));
    // Keep the held ones busy so the idle timeout does not free them during the check.
    for (const h of held) h.socket.write('GET /v1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    const extra = await raw();
    const { text } = await extra.closed;
    assert.match(text, /^HTTP\/1\.1 429 /);
    assert.ok(text.endsWith(TOO_MANY_CONNECTIONS), text);
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    // Freed: a new connection is served again.
    const again = await raw();
    again.socket.write('PUT /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz');
    assert.match((await again.closed).text, /^HTTP\/1\.1 200 /);
  });
});
