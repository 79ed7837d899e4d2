// Pure data-plane pieces: SNI extraction from a real ClientHello, and the gateway's routing rules.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { routeSni } from './mesh-gateway/routes.js';
import { parseClientHelloSni } from './tls/client-hello.js';

async function captureHello(servername?: string): Promise<Buffer> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) => {
    srv.once('connection', (s) => {
      s.once('data', (d: Buffer) => {
        resolve(d);
        s.destroy();
      });
    });
  });
  const c = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  srv.close();
  return hello;
}

describe('parseClientHelloSni', () => {
  it('reads the SNI of a real Node ClientHello', async () => {
    const hello = await captureHello('backend.default.default.west.external.abc.consul');
    assert.deepEqual(parseClientHelloSni(hello), { status: 'ok', sni: 'backend.default.default.west.external.abc.consul' });
  });
  it('asks for more bytes on a partial record and refuses non-TLS', async () => {
    const hello = await captureHello('x.example');
    assert.deepEqual(parseClientHelloSni(hello.subarray(0, 20)), { status: 'incomplete' });
    assert.deepEqual(parseClientHelloSni(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { status: 'not-tls' });
  });
  it('reports a ClientHello without SNI', async () => {
    assert.deepEqual(parseClientHelloSni(await captureHello()), { status: 'no-sni' });
  });
});

describe('routeSni', () => {
  const td = '11111111-2222-3333-4444-555555555555.consul';
  it('routes peered SNIs of our trust domain to exported services', () => {
    assert.deepEqual(routeSni(`web.default.default.west.external.${td}`, td), { kind: 'exported', service: 'web', peer: 'west' });
  });
  it('routes peered SNIs of another trust domain to remote gateways (local mode)', () => {
    assert.deepEqual(routeSni('web.default.default.east.external.other.consul', td), { kind: 'remote', sni: 'web.default.default.east.external.other.consul' });
  });
  it('recognizes the peering server name and refuses everything else', () => {
    assert.deepEqual(routeSni(`server.dc1.peering.${td}`, td), { kind: 'server', datacenter: 'dc1' });
    assert.deepEqual(routeSni('web.default.dc1.internal.x.consul', td), { kind: 'unknown' });
    assert.deepEqual(routeSni(`web.ns1.default.west.external.${td}`, td), { kind: 'unknown' });
  });
});
