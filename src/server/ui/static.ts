// The one place that serves static files: the web UI's built assets under /ui/, loaded into memory
// once at start. Paths without a file extension get index.html (history routing in the browser).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Handler, HttpRequest, HttpResult } from '../http/request.js';

/** Where `npm run build` puts the bundle (this file runs from dist/src/server/ui). */
export const DEFAULT_UI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Security headers for every UI response: nothing loads from anywhere but this agent. */
const SECURITY: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
  /** Hashed file names never change; index.html must be revalidated. */
  immutable: boolean;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      const rel = relative(dir, p).split('\\').join('/');
      const body = readFileSync(p);
      const type = TYPES[extname(p)] ?? 'application/octet-stream';
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
      assets.set(rel, { body, gzip: compressible ? gzipSync(body) : undefined, type, immutable: rel.startsWith('assets/') });
    }
  };
  walk(dir);
  return assets;
}

function acceptsGzip(req: HttpRequest): boolean {
  const h = req.headers['accept-encoding'];
  return (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',').some((e) => e.trim().split(';')[0] === 'gzip');
}

function serve(req: HttpRequest, a: Asset): HttpResult {
  const headers: Record<string, string> = {
    ...SECURITY,
    'Content-Type': a.type,
    'Cache-Control': a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    Vary: 'Accept-Encoding',
  };
  if (a.gzip && acceptsGzip(req)) return { headers: { ...headers, 'Content-Encoding': 'gzip' }, body: a.gzip };
  return { headers, body: a.body };
}

const redirect = (to: string): HttpResult => ({ status: 301, headers: { Location: to }, text: `Moved Permanently: ${to}\n` });

/** Consul's answer on `/` when the UI is off (agent/http.go Index). */
export const UI_DISABLED_TEXT = 'Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.';

/**
 * Handlers for `/`, `/ui` and `/ui/*`; `dir` holds index.html and assets/. With the UI disabled only
 * `root` exists, and it says how to enable the UI.
 */
export function uiHandlers(options: { dir?: string; enabled?: boolean } = {}): Record<string, Handler> {
  if (options.enabled === false) return { root: async () => ({ text: UI_DISABLED_TEXT }) };
  const dir = options.dir ?? DEFAULT_UI_DIR;
  const assets = loadAssets(dir);
  const index = assets.get('index.html');
  return {
    root: async () => redirect('/ui/'),
    ui: async () => redirect('/ui/'),
    asset: async (req) => {
      const path = (req.params['*'] ?? '').replace(/^\/+/, '');
      const a = assets.get(path === '' ? 'index.html' : path);
      if (a) return serve(req, a);
      // A page URL of the single-page app (no extension) gets the app; a missing file is a 404.
      if (index && extname(path) === '') return serve(req, index);
      if (!index) {
        return { status: 404, text: `The web UI is not built in ${dir}: run "npm run build" (it runs at "npm install").\n` };
      }
      return { status: 404, text: `UI asset not found: /ui/${path}\n` };
    },
  };
}
