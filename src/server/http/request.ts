// The framework-free request and result types every HTTP handler speaks, plus query helpers.
import { invalid } from '../../lib/errors.js';
import { decodeJson, DecodeError, type ObjectSchema } from '../../lib/json-decode.js';
import type { Authorizer } from '../acl/authorizer.js';
import { setOwn } from '../../lib/safe-object.js';

export type Query = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  method: string;
  /** The route pattern that matched, e.g. `/v1/catalog/service/:name`. */
  route: string;
  /** The request path and query as sent (used for response caching). */
  url: string;
  params: Record<string, string>;
  query: Query;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's bytes as sent (KV values are binary). */
  rawBody: Buffer;
  /** The query string as sent, without `?` (Consul quotes it in some errors). */
  rawQuery: string;
  /** Aborts when the client goes away (ends blocking waits early). */
  signal: AbortSignal;
  /** What the request's token may do (allow-all when ACLs are disabled). */
  authz: Authorizer;
  /** The secret presented, if any (never logged). */
  token: string | undefined;
}

export interface HttpResult {
  status?: number;
  /** A JSON value to send (`undefined` → empty body). */
  json?: unknown;
  /** Pre-serialized JSON text. */
  rawJson?: string;
  /** Pre-encoded UTF-8 JSON bytes (cached responses: sent as-is, with their length, never re-encoded). */
  rawBody?: Buffer;
  /** Plain-text body. */
  text?: string;
  /** Raw bytes, sent as they are (give a Content-Type header). */
  bytes?: Buffer;
  /** Raw bytes (static UI assets); the handler sets Content-Type. */
  body?: Buffer;
  headers?: Record<string, string>;
}

export type Handler = (req: HttpRequest) => Promise<HttpResult>;

/** First value of a query parameter; undefined when absent. A bare `?flag` yields "". */
export function queryOne(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[0] : v;
}

export function queryAll(q: Query, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function queryFlag(q: Query, name: string): boolean {
  return q[name] !== undefined;
}

/** Parses `node-meta=k:v` (repeatable, ANDed). */
export function nodeMetaFilter(q: Query): Record<string, string> | undefined {
  const pairs = queryAll(q, 'node-meta');
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf(':');
    if (i < 0) setOwn(out, p, '');
    else setOwn(out, p.slice(0, i), p.slice(i + 1));
  }
  return out;
}

/** Decodes a JSON body against a schema; failures become 400 `<prefix>: <Go-worded error>`. */
export function decodeBody<T>(req: HttpRequest, schema: ObjectSchema, prefix = 'Request decode failed'): T {
  try {
    return decodeJson<T>(req.body, schema);
  } catch (err) {
    if (err instanceof DecodeError) throw invalid(`${prefix}: ${err.message}`);
    throw err;
  }
}

/** A required path segment; Consul answers a missing one with 400 "Missing <what>". */
export function requireParam(req: HttpRequest, name: string, what: string): string {
  const v = req.params[name];
  if (v === undefined || v === '') throw invalid(`Missing ${what}`);
  return v;
}

export const ok = (json?: unknown): HttpResult => (json === undefined ? {} : { json });

/** Where a request's token came from (named in denial logs, field report 14). */
export type TokenSlot = '?token' | 'X-Consul-Token' | 'Authorization: Bearer' | 'anonymous';

/** Token lookup order of Consul: ?token=, X-Consul-Token, Authorization: Bearer. */
export function tokenOf(query: Query, headers: HttpRequest['headers']): { token: string | undefined; slot: TokenSlot } {
  const q = queryOne(query, 'token');
  if (q) return { token: q, slot: '?token' };
  const h = headers['x-consul-token'];
  const x = Array.isArray(h) ? h[0] : h;
  if (x) return { token: x, slot: 'X-Consul-Token' };
  const auth = headers.authorization;
  const a = Array.isArray(auth) ? auth[0] : auth;
  const m = a ? /^Bearer\s+(.+)$/i.exec(a) : null;
  return m ? { token: (m[1] as string).trim(), slot: 'Authorization: Bearer' } : { token: undefined, slot: 'anonymous' };
}

/**
 * Keeps the items the token may read; `filtered` is true when something was dropped and a token
 * was supplied (Consul's X-Consul-Results-Filtered-By-ACLs rule).
 */
export function aclFilter<T>(req: HttpRequest, items: T[], allowed: (item: T) => boolean): { items: T[]; filtered: boolean } {
  const kept = items.filter(allowed);
  return { items: kept, filtered: kept.length < items.length && !req.authz.implicit };
}
