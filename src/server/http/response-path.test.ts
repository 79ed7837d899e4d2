// The API server's response path on a real socket: header names in Go's canonical case and the
// configured response headers on every kind of response (framework replies, cached bodies written
// directly, errors, 404s), cached bodies sent byte for byte, and a blocking wait released when its
// client goes away (the abort signal is made only when a handler asks for it).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SILENT_LOGGER } from '../../lib/log.js';
import { IndexHub } from '../../lib/index-hub.js';
import { blockingRead, ResponseCache } from './blocking.js';
import type { Route } from './routes.js';
import { HttpServer } from './server.js';

const hub = new IndexHub();
const cache = new ResponseCache();
const BODY = { Name: 'wëb', Tags: ['a', 'b'] };
let renders = 0;
let signalAsked = false;

const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/cached',
    acl: { none: true },
    handler: (req) =>
      blockingRead({ hub, cache, options: {} }, req, ['t'], () => {
        renders += 1;
        return BODY;
      }),
  },
  { method: 'GET', path: '/v1/json', acl: { none: true }, handler: async () => ({ json: { ok: true }, headers: { 'x-consul-index': '7' } }) },
  { method: 'GET', path: '/v1/empty', acl: { none: true }, handler: async () => ({}) },
  {
    method: 'GET',
    path: '/v1/late-signal',
    acl: { none: true },
    // Busy before it asks for the signal: the client may already be gone by then.
    handler: async (req) => {
      await new Promise((r) => setTimeout(r, 300));
      signalAsked = true;
      await hub.wait(['never'], hub.index(['never']), 60_000, req.signal);
      return { text: 'released' };
    },
  },
];

let server: HttpServer;
let port = 0;
before(async () => {
  server = new HttpServer(routes, { log: SILENT_LOGGER, responseHeaders: { 'X-Consul-Default-ACL-Policy': 'allow' } });
  port = (await server.listen('127.0.0.1', 0)).port;
});
after(() => server.close());

/** One request on a raw socket; resolves with the status line, header lines as sent, and the body bytes. */
function rawGet(method: string, path: string): Promise<{ status: string; names: string[]; headers: Map<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      const [status = '', ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map<string, string>();
      const names: string[] = [];
      for (const l of lines) {
        const i = l.indexOf(':');
        names.push(l.slice(0, i));
        headers.set(l.slice(0, i), l.slice(i + 1).trim());
      }
      resolve({ status, names, headers, body: all.subarray(end + 4) });
    });
  });
}

describe('HTTP response path', () => {
  it('sends a cached body byte for byte with its length, canonical names and the response headers', async () => {
    hub.bump(['t'], 5);
    const r = await rawGet('GET', '/v1/cached');
    assert.equal(r.status, 'HTTP/1.1 200 OK');
    const want = Buffer.from(JSON.stringify(BODY));
    assert.deepEqual(r.body, want);
    assert.equal(r.headers.get('Content-Length'), String(want.length), 'byte length, not string length');
    assert.equal(r.headers.get('Content-Type'), 'application/json');
    assert.equal(r.headers.get('X-Consul-Index'), '5');
    assert.equal(r.headers.get('X-Consul-Knownleader'), 'true');
    assert.equal(r.headers.get('X-Consul-Lastcontact'), '0');
    assert.equal(r.headers.get('X-Consul-Default-Acl-Policy'), 'allow');
    assert.equal(r.names.filter((n) => n === 'X-Consul-Default-Acl-Policy').length, 1, 'sent once');
    for (const n of r.names) assert.match(n, /^([A-Z0-9][a-z0-9]*)(-[A-Z0-9][a-z0-9]*)*$/, `${n} in Go's canonical case`);
    const again = await rawGet('GET', '/v1/cached');
    assert.deepEqual(again.body, want);
    assert.equal(renders, 1, 'the second read is served from the cache');
  });

  it('answers HEAD on a cached read with the length and no body', async () => {
    const r = await rawGet('HEAD', '/v1/cached');
    assert.equal(r.status, 'HTTP/1.1 200 OK');
    assert.equal(r.headers.get('Content-Length'), String(Buffer.byteLength(JSON.stringify(BODY))));
    assert.equal(r.body.length, 0);
  });

  it('pretty-prints a cached read on ?pretty', async () => {
    const r = await rawGet('GET', '/v1/cached?pretty');
    assert.equal(r.body.toString(), JSON.stringify(BODY, null, 4) + '\n');
    assert.equal(r.headers.get('X-Consul-Default-Acl-Policy'), 'allow');
  });

  it('spells framework replies, empty answers, errors and 404s the same way', async () => {
    const json = await rawGet('GET', '/v1/json');
    assert.equal(json.headers.get('X-Consul-Index'), '7');
    assert.equal(json.headers.get('Content-Type'), 'application/json');
    const empty = await rawGet('GET', '/v1/empty');
    assert.equal(empty.headers.get('Content-Type'), undefined, 'no type on an empty body');
    const bad = await rawGet('GET', '/v1/cached?index=x');
    assert.equal(bad.status, 'HTTP/1.1 400 Bad Request');
    assert.equal(bad.body.toString(), 'Invalid index');
    const missing = await rawGet('GET', '/v1/nope');
    assert.equal(missing.status, 'HTTP/1.1 404 Not Found');
    for (const r of [json, empty, bad, missing]) {
      assert.equal(r.headers.get('X-Consul-Default-Acl-Policy'), 'allow');
      for (const n of r.names) assert.match(n, /^([A-Z0-9][a-z0-9]*)(-[A-Z0-9][a-z0-9]*)*$/, `${n} in Go's canonical case`);
    }
  });

  it('releases a blocking wait when its client goes away', async () => {
    const before = hub.waiting();
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /v1/cached?index=5&wait=1m HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.on('error', () => {});
    const until = async (ok: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(ok(), what);
    };
    await until(() => hub.waiting() === before + 1, 'the query is waiting');
    socket.destroy();
    await until(() => hub.waiting() === before, 'the wait ended when the client left');
  });

  it('releases a wait whose client left before the handler asked for the signal', async () => {
    const before = hub.waiting();
    signalAsked = false;
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /v1/late-signal HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.on('error', () => {});
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    for (let i = 0; i < 200 && !signalAsked; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(signalAsked, 'the handler went on to wait');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hub.waiting(), before, 'no wait left behind for a client that is gone');
  });
});
