// ACL auth methods (types `kubernetes` and `jwt`): validation in Consul's words, and their lifecycle in the store.
import { X509Certificate } from 'node:crypto';
import { formatGoDuration } from '../../lib/duration.js';
import { invalid, notFound } from '../../lib/errors.js';
import { validateJwtConfig } from './jwt-auth.js';
import { parseJwt } from './jwt.js';
import type { AclService } from './service.js';
import type { AuthMethodRecord, Indexed } from './types.js';

const METHOD_NAME_RE = /^[A-Za-z0-9\-_]{1,128}$/;
export const AUTH_METHOD_TYPES = ['jwt', 'kubernetes'] as const;
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 24 * 3_600_000;

export interface AuthMethodInput {
  Name?: string;
  Type?: string;
  DisplayName?: string;
  Description?: string;
  /** Milliseconds (decoded from a Go duration). */
  MaxTokenTTL?: number;
  TokenLocality?: string;
  Config?: Record<string, unknown>;
}

export interface KubernetesConfig {
  Host: string;
  CACert: string;
  ServiceAccountJWT: string;
}

const KUBE_KEYS = ['Host', 'CACert', 'ServiceAccountJWT'] as const;

/** PEM blocks that parse as X.509 certificates; throws Consul's text when there are none or one is broken. */
export function parseCaCerts(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('data does not contain any valid RSA or ECDSA certificates');
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`x509: malformed certificate (${(err as Error).message})`);
    }
  });
}

/** Validates a kubernetes Config (keys matched case-insensitively, as mapstructure does); returns it normalised. */
export function validateKubernetesConfig(raw: Record<string, unknown> | undefined): KubernetesConfig {
  const cfg: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(raw ?? {})) {
    const key = KUBE_KEYS.find((x) => x.toLowerCase() === k.toLowerCase());
    if (!key) unknown.push(k);
    else if (v === undefined || v === null) continue;
    else if (typeof v !== 'string') throw invalid(`Invalid Auth Method: 1 error(s) decoding:\n\n* '${key}' expected type 'string', got unconvertible type '${Array.isArray(v) ? '[]interface {}' : typeof v}'`);
    else cfg[key] = v;
  }
  if (unknown.length > 0) throw invalid(`Invalid Auth Method: 1 error(s) decoding:\n\n* '' has invalid keys: ${unknown.sort().join(', ')}`);
  const host = cfg.Host ?? '';
  const ca = cfg.CACert ?? '';
  const jwt = cfg.ServiceAccountJWT ?? '';
  if (host === '') throw invalid('Invalid Auth Method: Config.Host is required');
  if (ca === '') throw invalid('Invalid Auth Method: Config.CACert is required');
  try {
    parseCaCerts(ca);
  } catch (err) {
    throw invalid(`Invalid Auth Method: error parsing kubernetes ca cert: ${(err as Error).message}`);
  }
  if (jwt === '') throw invalid('Invalid Auth Method: Config.ServiceAccountJWT is required');
  try {
    parseJwt(jwt);
  } catch (err) {
    throw invalid(`Invalid Auth Method: Config.ServiceAccountJWT is not a valid JWT: ${(err as Error).message}`);
  }
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw invalid(`Invalid Auth Method: Config.Host "${host}" is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`Invalid Auth Method: Config.Host "${host}" must use https`);
  return { Host: host, CACert: ca, ServiceAccountJWT: jwt };
}

/** Builds a record from input (pure): every check of Consul's AuthMethodSet that needs no store. */
export function buildAuthMethod(input: AuthMethodInput, existing?: AuthMethodRecord): AuthMethodRecord {
  const name = input.Name ?? '';
  if (name === '') throw invalid('Invalid Auth Method: no Name is set');
  if (!METHOD_NAME_RE.test(name)) throw invalid("Invalid Auth Method: invalid Name. Only alphanumeric characters, '-' and '_' are allowed");
  const locality = input.TokenLocality ?? '';
  if (locality !== '' && locality !== 'local' && locality !== 'global') throw invalid("Invalid Auth Method: TokenLocality should be one of 'local' or 'global'");
  const type = input.Type || existing?.Type || '';
  if (existing && type !== existing.Type) throw invalid(`Invalid Auth Method: the Type field is immutable: "${type}" != "${existing.Type}"`);
  if (!(AUTH_METHOD_TYPES as readonly string[]).includes(type)) throw invalid(`Invalid Auth Method: Type should be one of: [${AUTH_METHOD_TYPES.join(' ')}]`);
  const ttl = input.MaxTokenTTL ?? 0;
  if (ttl !== 0) {
    if (ttl > MAX_TTL_MS) throw invalid(`MaxTokenTTL ${formatGoDuration(ttl)} cannot be more than ${formatGoDuration(MAX_TTL_MS)}`);
    if (ttl < MIN_TTL_MS) throw invalid(`MaxTokenTTL ${formatGoDuration(ttl)} cannot be less than ${formatGoDuration(MIN_TTL_MS)}`);
  }
  // The jwt Config is stored as given (validated); kubernetes keys are normalised.
  const config: Record<string, unknown> = type === 'jwt' ? (validateJwtConfig(input.Config), { ...(input.Config ?? {}) }) : { ...validateKubernetesConfig(input.Config) };
  return { Name: name, Type: type, DisplayName: input.DisplayName ?? '', Description: input.Description ?? '', MaxTokenTTL: ttl, TokenLocality: locality, Config: config };
}

/** Consul's JSON for a method; the list leaves `Config` out. */
export function renderAuthMethod(m: Indexed<AuthMethodRecord>, withConfig: boolean): Record<string, unknown> {
  const v = m.value;
  return {
    Name: v.Name,
    Type: v.Type,
    ...(v.DisplayName ? { DisplayName: v.DisplayName } : {}),
    ...(v.Description ? { Description: v.Description } : {}),
    ...(v.MaxTokenTTL ? { MaxTokenTTL: formatGoDuration(v.MaxTokenTTL) } : {}),
    ...(v.TokenLocality ? { TokenLocality: v.TokenLocality } : {}),
    ...(withConfig ? { Config: v.Config } : {}),
    CreateIndex: m.createIndex,
    ModifyIndex: m.modifyIndex,
  };
}

export class AuthMethodService {
  readonly #acl: AclService;

  constructor(acl: AclService) {
    this.#acl = acl;
  }

  list(): Indexed<AuthMethodRecord>[] {
    return this.#acl.authMethods.values().sort((a, b) => a.value.Name.localeCompare(b.value.Name));
  }

  get(name: string): Indexed<AuthMethodRecord> | undefined {
    return this.#acl.authMethods.get(name);
  }

  /** PUT /v1/acl/auth-method: creates, or updates a method of that name (Consul's upsert). */
  upsert(input: AuthMethodInput): Promise<Indexed<AuthMethodRecord>> {
    return this.#acl.serialWrite(async () => {
      const m = buildAuthMethod(input, this.#acl.authMethods.get(input.Name ?? '')?.value);
      await this.#acl.commit([this.#acl.authMethods.putOp(m)]);
      return this.#acl.authMethods.get(m.Name) as Indexed<AuthMethodRecord>;
    });
  }

  update(name: string, input: AuthMethodInput): Promise<Indexed<AuthMethodRecord>> {
    if (input.Name && input.Name !== name) return Promise.reject(invalid('AuthMethod Name in URL and payload do not match'));
    return this.#acl.serialWrite(async () => {
      const cur = this.#acl.authMethods.get(name);
      if (!cur) throw notFound('Cannot find auth method to update');
      const m = buildAuthMethod({ ...input, Name: name }, cur.value);
      await this.#acl.commit([this.#acl.authMethods.putOp(m)]);
      return this.#acl.authMethods.get(name) as Indexed<AuthMethodRecord>;
    });
  }

  /** Deletes the method, its binding rules and every token it created, in one transaction. */
  delete(name: string): Promise<void> {
    return this.#acl.serialWrite(async () => {
      if (!this.#acl.authMethods.has(name)) throw notFound('Cannot find auth method to delete');
      const ops = [this.#acl.authMethods.deleteOp(name)];
      for (const r of this.#acl.bindingRules.values()) if (r.value.AuthMethod === name) ops.push(this.#acl.bindingRules.deleteOp(r.value.ID));
      for (const t of this.#acl.tokens()) if (t.value.AuthMethod === name) ops.push(this.#acl.tokenDeleteOp(t.value.AccessorID));
      await this.#acl.commit(ops);
    });
  }
}
