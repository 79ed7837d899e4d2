// Serving the web UI: on with --dev (or ui_config.enabled / --ui), off otherwise; history-routing fallback,
// redirects, gzip, cache and security headers; a helpful 404 when the assets are not built.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { resolveAgentConfig } from '../config/load.js';
import { HttpServer } from '../http/server.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import type { Route } from '../http/routes.js';
import { startTestAgent } from '../test-agent.js';
import { uiHandlers } from './static.js';

let dir = '';
let http: HttpServer;
const BIG_JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'isthmus-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(dir, 'assets', 'main-ABC.js'), BIG_JS);
  const h = uiHandlers({ dir });
  const NONE = { none: true } as const;
  const routes: Route[] = [
    { method: 'GET', path: '/', handler: h.root!, acl: NONE },
    { method: 'GET', path: '/ui', handler: h.ui!, acl: NONE },
    { method: 'GET', path: '/ui/*', handler: h.asset!, acl: NONE },
  ];
  http = new HttpServer(routes, { log: SILENT_LOGGER });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('UI static files', () => {
  it('redirects / and /ui to /ui/', async () => {
    for (const url of ['/', '/ui']) {
      const r = await http.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 301);
      assert.equal(r.headers.location, '/ui/');
    }
  });

  it('serves index.html for /ui/ and for any page URL (history routing), never cached', async () => {
    for (const url of ['/ui/', '/ui/peers', '/ui/peers/west', '/ui/services/web?peer=east']) {
      const r = await http.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200, url);
      assert.equal(r.body, '<!doctype html><div id="app"></div>');
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
    }
  });

  it('serves hashed assets immutable, gzipped when asked', async () => {
    const plain = await http.inject({ method: 'GET', url: '/ui/assets/main-ABC.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, BIG_JS);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.match(String(plain.headers['cache-control']), /immutable/);
    assert.equal(plain.headers['content-encoding'], undefined);
    const gz = await http.inject({ method: 'GET', url: '/ui/assets/main-ABC.js', headers: { 'accept-encoding': 'br, gzip;q=0.8' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gz.rawPayload).toString(), BIG_JS);
  });

  it('answers a missing file with 404 and refuses path tricks', async () => {
    assert.equal((await http.inject({ method: 'GET', url: '/ui/assets/nope.js' })).statusCode, 404);
    const r = await http.inject({ method: 'GET', url: '/ui/../../etc/passwd' });
    assert.notEqual(r.body.includes('root:'), true);
    assert.equal((await http.inject({ method: 'POST', url: '/ui/peers' })).statusCode, 405);
  });

  it('says how to build when the assets are missing', async () => {
    const h = uiHandlers({ dir: join(dir, 'missing') });
    const r = await h.asset!({ params: { '*': 'peers' } } as never);
    assert.equal(r.status, 404);
    assert.match(String(r.text), /npm run build/);
  });
});

describe('UI configuration', () => {
  it('is on by default with --dev, off without; --ui and ui_config.enabled override', () => {
    assert.equal(resolveAgentConfig({ flags: { dev: true } }).ui.enabled, true);
    assert.equal(resolveAgentConfig({ flags: { 'data-dir': '/tmp/x' } }).ui.enabled, false);
    assert.equal(resolveAgentConfig({ flags: { 'data-dir': '/tmp/x', ui: true } }).ui.enabled, true);
    assert.equal(resolveAgentConfig({ flags: { dev: true }, file: { 'ui_config.enabled': false } }).ui.enabled, false);
    assert.equal(resolveAgentConfig({ flags: { 'data-dir': '/tmp/x' }, file: { 'ui_config.enabled': true } }).ui.enabled, true);
  });

  it('an agent with the UI disabled serves no /ui/, and / says how to enable it (as Consul)', async () => {
    const t = await startTestAgent({ file: { ui_config: { enabled: false } } });
    try {
      const root = await t.request('GET', '/');
      assert.equal(root.status, 200);
      assert.equal(root.body, 'Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.');
      assert.equal((await t.request('GET', '/ui/')).status, 404);
    } finally {
      await t.close();
    }
    const on = await startTestAgent();
    try {
      assert.equal((await on.request('GET', '/')).status, 301);
    } finally {
      await on.close();
    }
  });
});

describe('the built UI bundle', () => {
  it('is within the 250 KiB gzipped budget and index.html names files that exist', async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    const { DEFAULT_UI_DIR } = await import('./static.js');
    const size = JSON.parse(readFileSync(join(DEFAULT_UI_DIR, 'size.json'), 'utf8')) as { gzipBytes: number; budgetBytes: number };
    assert.equal(size.budgetBytes, 250 * 1024);
    assert.ok(size.gzipBytes > 1000 && size.gzipBytes <= size.budgetBytes, `bundle is ${size.gzipBytes} bytes gzipped`);
    const html = readFileSync(join(DEFAULT_UI_DIR, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="\/ui\/([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(refs.some((r) => r.endsWith('.js')) && refs.some((r) => r.endsWith('.css')), html);
    for (const r of refs) assert.ok(existsSync(join(DEFAULT_UI_DIR, r)), `${r} exists`);
    assert.doesNotMatch(html, /https?:\/\//, 'no CDN: everything is served by the agent');
  });
});
