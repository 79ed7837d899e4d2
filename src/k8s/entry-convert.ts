// Custom resource ⇄ config entry: camelCase spec keys become Consul's PascalCase (opaque maps keep their
// keys), the owner Meta is added, and "does the server already hold what this CR says" is decided here.
import { EXTERNAL_SOURCE_META, SOURCE_DATACENTER_META, type ConfigCR, type CrdKind } from './types.js';

const SPECIAL: Record<string, string> = {
  tls: 'TLS',
  http: 'HTTP',
  jwt: 'JWT',
  tlsMinVersion: 'TLSMinVersion',
  tlsMaxVersion: 'TLSMaxVersion',
  externalSNI: 'ExternalSNI',
  sanitizeXForwardedClientCert: 'SanitizeXForwardedClientCert',
};
/** Keys whose value is an opaque map (keys kept verbatim). */
const OPAQUE = new Set(['config', 'limits', 'passiveHealthCheck', 'loadBalancer', 'prioritizeByLocality', 'failoverPolicy', 'accessLogs', 'rateLimits', 'envoyExtensions', 'expose']);
/** Keys whose value is a map of user-named entries (keys kept, values converted). */
const NAMED_MAPS = new Set(['subsets', 'failover']);

export const pascal = (k: string): string => SPECIAL[k] ?? k.charAt(0).toUpperCase() + k.slice(1);

function convert(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(convert);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (OPAQUE.has(k)) out[pascal(k)] = x;
    else if (NAMED_MAPS.has(k) && x && typeof x === 'object') out[pascal(k)] = Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([n, y]) => [n, convert(y)]));
    else out[pascal(k)] = convert(x);
  }
  return out;
}

/** The name of the config entry a CR writes (ServiceIntentions use the destination's name). */
export function entryName(kind: CrdKind, cr: ConfigCR): string {
  if (kind.kind === 'ServiceIntentions') return String((cr.spec?.destination as { name?: string } | undefined)?.name ?? '');
  return cr.metadata.name;
}

export function toEntry(kind: CrdKind, cr: ConfigCR, datacenter: string): Record<string, unknown> {
  const spec = { ...(cr.spec ?? {}) };
  if (kind.kind === 'ServiceIntentions') delete spec.destination;
  return {
    Kind: kind.entryKind,
    Name: entryName(kind, cr),
    ...(convert(spec) as Record<string, unknown>),
    Meta: { [EXTERNAL_SOURCE_META]: 'kubernetes', [SOURCE_DATACENTER_META]: datacenter },
  };
}

const IGNORED = new Set(['Meta', 'CreateIndex', 'ModifyIndex', 'Hash', 'Partition', 'Namespace']);
const empty = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every(empty));

/** Does `have` (from the server) already say everything `want` says? Zero values count as unset (servers fill defaults). */
export function covers(have: unknown, want: unknown, top = true): boolean {
  if (empty(want)) return true;
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w, false));
  if (typeof want === 'object' && want !== null) {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
    return Object.entries(want as Record<string, unknown>).every(([k, w]) => (top && IGNORED.has(k)) || covers((have as Record<string, unknown>)[k], w, false));
  }
  if (typeof want === 'string' && typeof have === 'string' && /^\d+(ms|s|m|h)$/.test(want)) return have === want || durationMs(have) === durationMs(want);
  return have === want;
}

function durationMs(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(s);
  if (!m) return undefined;
  const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Number(m[1]) * (mult[m[2] as string] as number);
}

/** Does the server's entry equal the desired one, both ways, ignoring Meta and indexes? */
export function matchesServer(have: Record<string, unknown>, want: Record<string, unknown>): boolean {
  return covers(have, want) && covers(want, strip(have));
}

/** The server's entry without what the server itself adds (indexes, Meta, intention bookkeeping). */
function strip(have: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(have)) {
    if (IGNORED.has(k)) continue;
    if (k === 'Sources' && Array.isArray(v)) {
      out[k] = v.map((s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).filter(([sk]) => !['Precedence', 'Type', 'LegacyID', 'LegacyMeta', 'LegacyCreateTime', 'LegacyUpdateTime'].includes(sk))));
    } else out[k] = v;
  }
  return out;
}
