// The `jwt` auth method with static validation keys (Consul's JWTValidationPubKeys): Config checks, and
// login = signature + exp/nbf/iss/aud checks, then claim mappings become the identity (`value.*`, `list.*`).
import { createPublicKey, createVerify, verify as verifyOneShot, type KeyObject } from 'node:crypto';
import { durationFromJson } from '../../lib/duration.js';
import { invalid } from '../../lib/errors.js';
import type { Identity } from './binding-rules.js';
import { parseJwt } from './jwt.js';
import { loginFailed } from './kube-validator.js';

export interface JwtConfig {
  JWTValidationPubKeys: string[];
  BoundIssuer: string;
  BoundAudiences: string[];
  ClaimMappings: Record<string, string>;
  ListClaimMappings: Record<string, string>;
  JWTSupportedAlgs: string[];
  /** Milliseconds. */
  ExpirationLeeway: number;
  NotBeforeLeeway: number;
  ClockSkewLeeway: number;
}

const STRINGS = ['BoundIssuer'] as const;
const LISTS = ['JWTValidationPubKeys', 'BoundAudiences', 'JWTSupportedAlgs'] as const;
const MAPS = ['ClaimMappings', 'ListClaimMappings'] as const;
const DURATIONS = ['ExpirationLeeway', 'NotBeforeLeeway', 'ClockSkewLeeway'] as const;
const REMOTE = ['JWKSURL', 'JWKSCACert', 'OIDCDiscoveryURL', 'OIDCDiscoveryCACert'] as const;
const ALGS: Record<string, { hash: string; kind: 'rsa' | 'pss' | 'ec' | 'ed' }> = {
  RS256: { hash: 'SHA256', kind: 'rsa' },
  RS384: { hash: 'SHA384', kind: 'rsa' },
  RS512: { hash: 'SHA512', kind: 'rsa' },
  PS256: { hash: 'SHA256', kind: 'pss' },
  PS384: { hash: 'SHA384', kind: 'pss' },
  PS512: { hash: 'SHA512', kind: 'pss' },
  ES256: { hash: 'SHA256', kind: 'ec' },
  ES384: { hash: 'SHA384', kind: 'ec' },
  ES512: { hash: 'SHA512', kind: 'ec' },
  EdDSA: { hash: '', kind: 'ed' },
};

const fail = (m: string): never => {
  throw invalid(`Invalid Auth Method: ${m}`);
};

/** Validates a jwt Config (keys case-insensitive); only static public keys are supported here. */
export function validateJwtConfig(raw: Record<string, unknown> | undefined): JwtConfig {
  const known = [...STRINGS, ...LISTS, ...MAPS, ...DURATIONS, ...REMOTE] as string[];
  const cfg: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(raw ?? {})) {
    const key = known.find((x) => x.toLowerCase() === k.toLowerCase());
    if (!key) unknown.push(k);
    else if (v !== null && v !== undefined) cfg[key] = v;
  }
  if (unknown.length) fail(`1 error(s) decoding:\n\n* '' has invalid keys: ${unknown.sort().join(', ')}`);
  for (const k of STRINGS) if (cfg[k] !== undefined && typeof cfg[k] !== 'string') fail(`1 error(s) decoding:\n\n* '${k}' expected type 'string'`);
  for (const k of LISTS) if (cfg[k] !== undefined && (!Array.isArray(cfg[k]) || (cfg[k] as unknown[]).some((x) => typeof x !== 'string'))) fail(`1 error(s) decoding:\n\n* '${k}' expected type '[]string'`);
  for (const k of MAPS) {
    const m = cfg[k];
    if (m !== undefined && (typeof m !== 'object' || Array.isArray(m) || Object.values(m as object).some((x) => typeof x !== 'string'))) fail(`1 error(s) decoding:\n\n* '${k}' expected type 'map[string]string'`);
  }
  const methods = [cfg.OIDCDiscoveryURL, cfg.JWKSURL].filter((x) => typeof x === 'string' && x !== '').length + ((cfg.JWTValidationPubKeys as string[] | undefined)?.length ? 1 : 0);
  if (methods !== 1) fail("exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set for type \"jwt\"");
  if (!(cfg.JWTValidationPubKeys as string[] | undefined)?.length) fail('only JWTValidationPubKeys are supported by Isthmus (JWKSURL and OIDCDiscoveryURL are not)');
  for (const pem of cfg.JWTValidationPubKeys as string[]) {
    try {
      createPublicKey(pem);
    } catch (err) {
      fail(`error parsing public key: ${(err as Error).message}`);
    }
  }
  for (const a of (cfg.JWTSupportedAlgs as string[] | undefined) ?? []) if (!Object.hasOwn(ALGS, a)) fail(`Invalid supported algorithm: ${a}`);
  const dur = (k: (typeof DURATIONS)[number]): number => {
    if (cfg[k] === undefined) return 0;
    const ms = durationFromJson(cfg[k]);
    if (ms === undefined) return fail(`1 error(s) decoding:\n\n* error decoding '${k}': time: invalid duration "${String(cfg[k])}"`);
    return ms;
  };
  const claims = (cfg.ClaimMappings as Record<string, string> | undefined) ?? {};
  const lists = (cfg.ListClaimMappings as Record<string, string> | undefined) ?? {};
  const targets = [...Object.values(claims), ...Object.values(lists)];
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup !== undefined) fail(`ClaimMappings contains multiple mappings for key "${dup}"`);
  return {
    JWTValidationPubKeys: cfg.JWTValidationPubKeys as string[],
    BoundIssuer: (cfg.BoundIssuer as string | undefined) ?? '',
    BoundAudiences: (cfg.BoundAudiences as string[] | undefined) ?? [],
    ClaimMappings: claims,
    ListClaimMappings: lists,
    JWTSupportedAlgs: (cfg.JWTSupportedAlgs as string[] | undefined) ?? [],
    ExpirationLeeway: dur('ExpirationLeeway'),
    NotBeforeLeeway: dur('NotBeforeLeeway'),
    ClockSkewLeeway: dur('ClockSkewLeeway'),
  };
}

/** The identity shape a jwt method projects: selectable `value.*` and `list.*`, variables `value.*`. */
export function jwtIdentityShape(config: Record<string, unknown>): { fields: string[]; vars: string[] } {
  const vars = Object.values((config.ClaimMappings as Record<string, string> | undefined) ?? {}).map((a) => `value.${a}`);
  const lists = Object.values((config.ListClaimMappings as Record<string, string> | undefined) ?? {}).map((a) => `list.${a}`);
  return { fields: [...vars, ...lists], vars };
}

function verifySignature(alg: string, key: KeyObject, input: string, sig: Buffer): boolean {
  const a = ALGS[alg];
  if (!a) return false;
  try {
    if (a.kind === 'ed') return verifyOneShot(null, Buffer.from(input), key, sig);
    const v = createVerify(a.hash).update(input);
    if (a.kind === 'ec') return v.verify({ key, dsaEncoding: 'ieee-p1363' }, sig);
    if (a.kind === 'pss') return v.verify({ key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }, sig);
    return v.verify(key, sig);
  } catch {
    return false;
  }
}

function claim(claims: Record<string, unknown>, name: string): unknown {
  if (!name.startsWith('/')) return claims[name];
  let cur: unknown = claims;
  for (const part of name.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (!cur || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Validates a bearer JWT against a jwt method's Config and maps its claims. */
export function validateJwtLogin(config: Record<string, unknown>, bearer: string, now = Date.now()): Identity {
  const cfg = validateJwtConfig(config);
  let parsed: ReturnType<typeof parseJwt>;
  try {
    parsed = parseJwt(bearer);
  } catch (err) {
    throw loginFailed(`failed to parse and validate JWT: ${(err as Error).message}`);
  }
  const alg = String(parsed.header.alg);
  const allowed = cfg.JWTSupportedAlgs.length ? cfg.JWTSupportedAlgs : ['RS256'];
  if (!allowed.includes(alg)) throw loginFailed(`failed to parse and validate JWT: unsupported signing algorithm "${alg}"`);
  const [h, p, s] = bearer.trim().split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  if (!cfg.JWTValidationPubKeys.some((pem) => verifySignature(alg, createPublicKey(pem), `${h}.${p}`, sig))) {
    throw loginFailed('failed to validate JWT signature: no known key successfully validated the token signature');
  }
  const c = parsed.claims;
  const skew = cfg.ClockSkewLeeway || 60_000;
  const expLeeway = cfg.ExpirationLeeway || 150_000;
  const nbfLeeway = cfg.NotBeforeLeeway || 150_000;
  if (typeof c.exp === 'number' && c.exp * 1000 + expLeeway + skew < now) throw loginFailed('failed to validate JWT: token is expired (exp)');
  if (typeof c.nbf === 'number' && c.nbf * 1000 - nbfLeeway - skew > now) throw loginFailed('failed to validate JWT: token not valid yet (nbf)');
  if (cfg.BoundIssuer && c.iss !== cfg.BoundIssuer) throw loginFailed('failed to validate JWT: invalid issuer (iss) claim');
  if (cfg.BoundAudiences.length) {
    const aud = Array.isArray(c.aud) ? c.aud : typeof c.aud === 'string' ? [c.aud] : [];
    if (!aud.some((a) => cfg.BoundAudiences.includes(String(a)))) throw loginFailed('failed to validate JWT: invalid audience (aud) claim: audience claim does not match any expected audience');
  }
  const value: Record<string, string> = {};
  const list: Record<string, string[]> = {};
  for (const [name, attr] of Object.entries(cfg.ClaimMappings)) {
    const v = claim(c, name);
    if (v === undefined || v === null) continue;
    if (typeof v === 'object') throw loginFailed(`error converting claim '${name}' to string`);
    value[attr] = String(v);
  }
  for (const [name, attr] of Object.entries(cfg.ListClaimMappings)) {
    const v = claim(c, name);
    if (v === undefined || v === null) continue;
    const items = Array.isArray(v) ? v : [v];
    if (items.some((x) => typeof x === 'object')) throw loginFailed(`error converting claim '${name}' to list of strings`);
    list[attr] = items.map(String);
  }
  const vars: Record<string, string> = {};
  for (const attr of Object.values(cfg.ClaimMappings)) vars[`value.${attr}`] = value[attr] ?? '';
  return { selectable: { value, list }, vars };
}
