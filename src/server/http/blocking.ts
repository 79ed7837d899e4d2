// Consul blocking queries over the IndexHub: ?index/?wait parsing, waiting, headers, response caching.
import { invalid } from '../../lib/errors.js';
import { parseGoDuration } from '../../lib/duration.js';
import type { IndexHub } from '../../lib/index-hub.js';
import type { HttpRequest, HttpResult } from './request.js';
import { queryFlag, queryOne } from './request.js';
import { compileFilter } from '../../lib/filter.js';

/** Consul's default_query_time and max_query_time. */
export const DEFAULT_QUERY_WAIT_MS = 5 * 60_000;
export const MAX_QUERY_WAIT_MS = 10 * 60_000;
const JITTER_STEP_MS = 100;
/** Responses kept per server for repeated identical reads at an unchanged index. */
export const DEFAULT_RESPONSE_CACHE_ENTRIES = 512;

export interface BlockingOptions {
  /** Cap applied to ?wait (and the default when absent). */
  defaultWaitMs?: number;
  maxWaitMs?: number;
  random?: () => number;
}

export interface QueryParams {
  minIndex: number;
  waitMs: number;
  consistency: 'leader' | 'stale' | 'consistent';
}

/** Parses ?index, ?wait, ?stale, ?consistent with Consul's error texts. */
export function parseQueryParams(req: HttpRequest, options: BlockingOptions = {}): QueryParams {
  const q = req.query;
  const def = options.defaultWaitMs ?? DEFAULT_QUERY_WAIT_MS;
  const max = options.maxWaitMs ?? MAX_QUERY_WAIT_MS;
  const stale = queryFlag(q, 'stale');
  const consistent = queryFlag(q, 'consistent');
  if (stale && consistent) throw invalid('Cannot specify ?stale with ?consistent, conflicting semantics.');
  let minIndex = 0;
  const idx = queryOne(q, 'index');
  if (idx !== undefined && idx !== '') {
    if (!/^\d+$/.test(idx)) throw invalid('Invalid index');
    minIndex = Number(idx);
  }
  let waitMs = def;
  const w = queryOne(q, 'wait');
  if (w !== undefined && w !== '') {
    const parsed = parseGoDuration(w);
    if (parsed === undefined) throw invalid('Invalid wait time');
    waitMs = parsed <= 0 ? def : Math.min(parsed, max);
  }
  const random = options.random ?? Math.random;
  // Consul's jitter (up to wait/16), in whole 100 ms steps: Node keeps one timer list per distinct
  // duration, so 10,000 waits share a few hundred lists instead of holding 10,000.
  waitMs += Math.floor((random() * (waitMs / 16)) / JITTER_STEP_MS) * JITTER_STEP_MS;
  return { minIndex, waitMs, consistency: stale ? 'stale' : consistent ? 'consistent' : 'leader' };
}

export function metaHeaders(index: number, consistency: string): Record<string, string> {
  return {
    'X-Consul-Index': String(Math.max(1, index)),
    'X-Consul-KnownLeader': 'true',
    'X-Consul-LastContact': '0',
    'X-Consul-Effective-Consistency': consistency,
    'X-Consul-Query-Backend': 'blocking-query',
  };
}

/** A small LRU of serialized responses keyed by request, valid while their index is unchanged. */
interface CachedResponse {
  index: number;
  /** UTF-8 JSON, encoded once and shared by every response at this index. */
  body: Buffer;
  filtered: boolean;
}

export class ResponseCache {
  readonly #entries = new Map<string, CachedResponse>();
  readonly #limit: number;
  /** The most recently used key: a hit on it needs no reordering (every woken waiter hits the same one). */
  #newest: string | undefined;

  constructor(limit = DEFAULT_RESPONSE_CACHE_ENTRIES) {
    this.#limit = limit;
  }

  get(key: string, index: number): CachedResponse | undefined {
    const e = this.#entries.get(key);
    if (!e || e.index !== index) return undefined;
    if (this.#newest !== key) {
      this.#entries.delete(key);
      this.#entries.set(key, e);
      this.#newest = key;
    }
    return e;
  }

  set(key: string, value: CachedResponse): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}

/**
 * Strips the parameters that do not change a response's content (index, wait, consistency, token)
 * and scopes the key to the token's identity, since ACL filtering makes bodies differ per token.
 */
function cacheKey(req: HttpRequest): string {
  const [path, search = ''] = req.url.split('?', 2) as [string, string | undefined];
  const params = new URLSearchParams(search);
  for (const p of ['index', 'wait', 'stale', 'consistent', 'leader', 'cached', 'token']) params.delete(p);
  params.sort();
  return `${req.authz.accessorId}|${path}?${params.toString()}`;
}

const RENDERED = Symbol('rendered');

/** What a blocking read renders: a JSON value, optionally marked as ACL-filtered. */
export interface Rendered {
  value: unknown;
  filtered?: boolean;
}

/** Marks a value as the result of ACL filtering (for X-Consul-Results-Filtered-By-ACLs). */
export function rendered(value: unknown, filtered: boolean): Rendered {
  return { value, filtered, [RENDERED]: true } as Rendered;
}

function isRendered(v: unknown): v is Rendered {
  return typeof v === 'object' && v !== null && RENDERED in v;
}

export interface BlockingReader {
  hub: IndexHub;
  cache: ResponseCache;
  options: BlockingOptions;
}

/**
 * Runs a read as a Consul blocking query: waits (if ?index asks) until one of `topics` moves past
 * the client's index or ?wait expires, then renders, reusing the cached body when the index matches.
 */
export async function blockingRead(
  deps: BlockingReader,
  req: HttpRequest,
  topics: readonly string[],
  render: () => unknown,
  options: { cache?: boolean; /** Consul's gRPC-backed reads (peerings, exported services) send no X-Consul-Effective-Consistency. */ effectiveConsistency?: boolean } = {},
): Promise<HttpResult> {
  const params = parseQueryParams(req, deps.options);
  const filterText = queryOne(req.query, 'filter');
  const filter = filterText ? compileFilter(filterText) : undefined;
  // Everything per request is worked out before blocking: a wake-up only looks up the shared body.
  const key = cacheKey(req);
  if (params.minIndex > 0 && deps.hub.index(topics) <= params.minIndex) {
    await deps.hub.wait(topics, params.minIndex, params.waitMs, req.signal);
  }
  const index = deps.hub.index(topics);
  // Bodies that fold in live state (peering stream status) must not be served from the cache.
  let cached = options.cache === false ? undefined : deps.cache.get(key, index);
  if (cached === undefined) {
    const out = render();
    const value = isRendered(out) ? out.value : out;
    // ?filter applies to list results (Consul's bexpr over each item's JSON).
    const shown = filter && Array.isArray(value) ? value.filter(filter) : value;
    cached = { index, body: Buffer.from(JSON.stringify(shown)), filtered: isRendered(out) && out.filtered === true };
    if (options.cache !== false) deps.cache.set(key, cached);
  }
  const headers = metaHeaders(index, params.consistency);
  if (options.effectiveConsistency === false) delete headers['X-Consul-Effective-Consistency'];
  if (cached.filtered) headers['X-Consul-Results-Filtered-By-ACLs'] = 'true';
  return { rawBody: cached.body, headers };
}
