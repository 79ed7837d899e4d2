// Thin HTTP handlers for /v1/kv/<key> (GET, PUT, DELETE) and /v1/txn (KV operations).
import { invalid } from '../../lib/errors.js';
import { enforce, permissionDenied } from '../acl/errors.js';
import { metaHeaders, parseQueryParams, type BlockingReader } from '../http/blocking.js';
import type { Handler, HttpRequest, HttpResult } from '../http/request.js';
import { queryFlag, queryOne } from '../http/request.js';
import { KV_TOPIC, KvService } from './service.js';
import { KV_READ_VERBS, KV_VERBS, type KvOp } from './types.js';
import { checkKeyName, conflictingFlags, decodeTxnBody, KV_MAX_VALUE_SIZE, listKeys, parseUint, renderEntry, txnTooLarge, TXN_MAX_REQ_LEN, valueTooLarge } from './validate.js';

export interface KvHttpDeps {
  kv: KvService;
  blocking: BlockingReader;
}

const PEER_REFUSED = 'Invalid query parameter: "peer" - KV data is never shared with cluster peers; read KV without ?peer=';

function keyOf(req: HttpRequest): string {
  if (queryOne(req.query, 'peer') !== undefined) throw invalid(PEER_REFUSED);
  const key = req.params['*'] ?? '';
  checkKeyName(key);
  return key;
}

function missingKey(key: string): void {
  if (key === '') throw invalid('Missing key name');
}

function contentLength(req: HttpRequest): number {
  const h = req.headers['content-length'];
  const n = Number(Array.isArray(h) ? h[0] : h);
  return Number.isFinite(n) ? Math.max(n, req.rawBody.length) : req.rawBody.length;
}

/**
 * Waits (for `?index=`) until `index()` moves past the client's index or `?wait` runs out: every KV
 * write wakes the `kv` topic, and each waiter re-checks its own index as Consul's blocking loop does.
 */
async function blockUntil(deps: BlockingReader, req: HttpRequest, index: () => number): Promise<Record<string, string>> {
  const params = parseQueryParams(req, deps.options);
  const deadline = Date.now() + params.waitMs;
  let idx = index();
  while (params.minIndex > 0 && idx <= params.minIndex && !req.signal.aborted) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await deps.hub.wait([KV_TOPIC], deps.hub.index([KV_TOPIC]), remaining, req.signal);
    idx = index();
  }
  return metaHeaders(idx, params.consistency);
}

/** Loads the KV store and builds its handlers (what the composition root calls). */
export async function kvModule(deps: ConstructorParameters<typeof KvService>[0] & { blocking: BlockingReader }): Promise<Record<string, Handler>> {
  const kv = new KvService(deps);
  await kv.load();
  return kvHandlers({ kv, blocking: deps.blocking });
}

export function kvHandlers(deps: KvHttpDeps): Record<string, Handler> {
  const { kv } = deps;

  const get: Handler = async (req) => {
    const key = keyOf(req);
    const q = req.query;
    if (queryFlag(q, 'keys')) {
      const sep = queryOne(q, 'separator') ?? queryOne(q, 'seperator') ?? '';
      const headers = await blockUntil(deps.blocking, req, () => kv.prefixIndex(key));
      const all = kv.list(key).map((e) => e.key);
      const readable = all.filter((k) => req.authz.allowed('key', 'read', k));
      const keys = listKeys(readable, key, sep);
      if (readable.length < all.length && !req.authz.implicit) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
      if (keys.length === 0 && key !== '') return { status: 404, headers };
      return { json: keys, headers };
    }
    if (queryFlag(q, 'recurse')) {
      const headers = await blockUntil(deps.blocking, req, () => kv.prefixIndex(key));
      const all = kv.list(key);
      const readable = all.filter((e) => req.authz.allowed('key', 'read', e.key));
      if (readable.length < all.length && !req.authz.implicit) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
      if (readable.length === 0) return { status: 404, headers };
      return { json: readable.map((e) => renderEntry(e)), headers };
    }
    missingKey(key);
    enforce(req.authz, 'key', 'read', key);
    const headers = await blockUntil(deps.blocking, req, () => kv.get(key)?.modifyIndex ?? kv.tableIndex());
    const e = kv.get(key);
    if (!e) return { status: 404, headers };
    if (queryFlag(q, 'raw')) {
      return {
        bytes: e.value,
        headers: { ...headers, 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': 'sandbox' },
      };
    }
    return { json: [renderEntry(e)], headers };
  };

  const put: Handler = async (req) => {
    const key = keyOf(req);
    missingKey(key);
    conflictingFlags(req.query, req.rawQuery, ['cas', 'acquire', 'release']);
    const op: KvOp = { verb: 'set', key };
    const flags = queryOne(req.query, 'flags');
    if (flags !== undefined) op.flags = parseUint('flags', flags);
    const cas = queryOne(req.query, 'cas');
    if (cas !== undefined) {
      op.verb = 'cas';
      op.index = parseUint('cas', cas);
    }
    for (const which of ['acquire', 'release'] as const) {
      const session = queryOne(req.query, which);
      if (session !== undefined) {
        throw invalid(`Invalid session ${JSON.stringify(session)}: Isthmus has no sessions API, so ?${which}= cannot take or release a lock`);
      }
    }
    const size = contentLength(req);
    if (size > KV_MAX_VALUE_SIZE) throw valueTooLarge(size);
    enforce(req.authz, 'key', 'write', key);
    op.value = req.rawBody;
    const out = await kv.apply([op]);
    return { json: op.verb === 'set' ? true : out.ok };
  };

  const del: Handler = async (req) => {
    const key = keyOf(req);
    conflictingFlags(req.query, req.rawQuery, ['recurse', 'cas']);
    const op: KvOp = { verb: 'delete', key };
    if (queryFlag(req.query, 'recurse')) {
      op.verb = 'delete-tree';
      if (!req.authz.keyWritePrefix(key)) throw permissionDenied(req.authz, 'key', 'write', key);
    } else {
      missingKey(key);
      enforce(req.authz, 'key', 'write', key);
    }
    const cas = queryOne(req.query, 'cas');
    if (cas !== undefined) {
      op.verb = 'delete-cas';
      op.index = parseUint('cas', cas);
    }
    const out = await kv.apply([op]);
    return { json: op.verb === 'delete-cas' ? out.ok : true };
  };

  const txn: Handler = async (req) => {
    const size = contentLength(req);
    if (size > Math.max(TXN_MAX_REQ_LEN, KV_MAX_VALUE_SIZE)) throw txnTooLarge(size);
    const elements = decodeTxnBody(req.body, KV_VERBS);
    const denials: { OpIndex: number; What: string }[] = [];
    const ops: KvOp[] = elements.map((el, i) => {
      if (el.kind === 'unknown-verb') return { verb: 'get', key: '', fail: `unknown KV verb ${JSON.stringify(el.verb)}` };
      if (el.kind === 'unsupported') return { verb: 'get', key: '', fail: `${el.what} operations are not supported in /v1/txn by Isthmus (only KV operations are)` };
      const denied = vetOp(req, el.op);
      if (denied) denials.push({ OpIndex: i, What: denied });
      return el.op;
    });
    const readOnly = ops.every((op) => KV_READ_VERBS.has(op.verb) || op.fail !== undefined);
    const meta: Record<string, string> = readOnly ? { 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' } : {};
    if (denials.length > 0) return { status: 409, json: { Results: null, Errors: denials }, headers: meta };
    const out = await kv.apply(ops);
    if (!out.ok) return { status: 409, json: { Results: null, Errors: out.errors }, headers: meta };
    const results = out.results.filter((r) => !r.withValue || req.authz.allowed('key', 'read', r.entry.key)).map((r) => ({ KV: renderEntry(r.entry, r.withValue) }));
    return { json: { Results: results, Errors: null }, headers: meta } satisfies HttpResult;
  };

  return { get, put, delete: del, txn };
}

/** Consul's vetting of one KV transaction operation: read verbs need key:read, writes key:write. */
function vetOp(req: HttpRequest, op: KvOp): string | undefined {
  const a = req.authz;
  if (op.verb === 'delete-tree') return a.keyWritePrefix(op.key) ? undefined : permissionDenied(a, 'key', 'write', op.key).message;
  const access = KV_READ_VERBS.has(op.verb) ? 'read' : 'write';
  return a.allowed('key', access, op.key) ? undefined : permissionDenied(a, 'key', access, op.key).message;
}
