// Logging in with an auth method (POST /v1/acl/login) and out again (POST /v1/acl/logout): what sidecars,
// mesh gateways and the Kubernetes controller do with their service-account token (dataplane-l7-auth.md §6, §8).
// The one place that holds this logic; the CLI only maps flags onto LoginOptions.
import { readFileSync } from 'node:fs';
import { ApiError, ConnectionError, type AclToken, type IsthmusClient } from './client.js';

/** Where Kubernetes mounts a pod's service-account token. */
export const DEFAULT_BEARER_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface LoginOptions {
  authMethod: string;
  /** @default DEFAULT_BEARER_TOKEN_PATH */
  bearerTokenPath?: string;
  meta?: Record<string, string>;
  /** Datacenter to log in to (sent as ?dc=); the token is then used there. */
  datacenter?: string;
  /** How long to keep retrying while the server cannot be reached (or answers 503). @default 30000 */
  retryForMs?: number;
  /** Told about each retried failure. */
  onRetry?: (err: Error, attempt: number) => void;
}

/** A login that failed for good: the message says why (the server's own text when it answered). */
export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginError';
  }
}

export interface LoginSession {
  /** The token the server created (its SecretID is what `client` sends). */
  token: AclToken & { AuthMethod?: string; Roles?: { ID: string; Name: string }[]; NodeIdentities?: { NodeName: string; Datacenter: string }[] };
  /** The caller's client, sending the login's SecretID on every request. */
  client: IsthmusClient;
  /** Deletes the token (POST /v1/acl/logout); idempotent: a token already gone is not an error. */
  logout(): Promise<void>;
}

/**
 * Login metadata from repeated `key=value` flags, over the comma-separated `key=value` pairs of an environment
 * variable (consul-dataplane's DP_CREDENTIAL_LOGIN_META); flags win for the same key.
 */
export function parseLoginMeta(flagValues: string[], envValue: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const add = (pair: string, from: string): void => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LoginError(`invalid login metadata ${JSON.stringify(pair)} in ${from}: expected key=value`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  };
  for (const pair of (envValue ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) add(pair, 'DP_CREDENTIAL_LOGIN_META');
  for (const pair of flagValues) add(pair, '-login-meta');
  return { ...out };
}

function readBearerToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new LoginError(`cannot read the bearer token file ${path}: ${why}`);
  }
  const token = text.trim();
  if (token === '') throw new LoginError(`the bearer token file ${path} is empty`);
  return token;
}

const retryable = (err: unknown): boolean => err instanceof ConnectionError || (err instanceof ApiError && (err.status === 503 || err.status === 429));

/** Logs in with the bearer token read from its file; retries only while the server cannot answer. */
export async function login(client: IsthmusClient, options: LoginOptions): Promise<LoginSession> {
  if (!options.authMethod) throw new LoginError('an auth method name is required to log in');
  const bearer = readBearerToken(options.bearerTokenPath ?? DEFAULT_BEARER_TOKEN_PATH);
  const query = options.datacenter ? { dc: options.datacenter } : {};
  const body = { AuthMethod: options.authMethod, BearerToken: bearer, ...(options.meta && Object.keys(options.meta).length > 0 ? { Meta: options.meta } : {}) };
  const deadline = Date.now() + (options.retryForMs ?? 30_000);
  // A login carries no token of its own (Consul refuses one: "do not provide a token when logging in").
  const anonymous = client.withToken('');
  let token: LoginSession['token'] | undefined;
  for (let attempt = 1; !token; attempt++) {
    try {
      token = await anonymous.request<LoginSession['token']>('POST', '/v1/acl/login', { body, query });
    } catch (err) {
      if (retryable(err) && Date.now() < deadline) {
        options.onRetry?.(err as Error, attempt);
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** Math.min(attempt - 1, 4), 4000)));
        continue;
      }
      throw new LoginError(`login with auth method ${JSON.stringify(options.authMethod)} failed: ${(err as Error).message}`);
    }
  }
  if (!token?.SecretID) throw new LoginError(`login with auth method ${JSON.stringify(options.authMethod)} failed: the server returned no token`);
  const session = client.withToken(token.SecretID);
  let loggedOut = false;
  return {
    token,
    client: session,
    async logout() {
      if (loggedOut) return;
      try {
        await session.request('POST', '/v1/acl/logout', { query });
      } catch (err) {
        // Already deleted (by an operator, or by the controller when the pod went away): nothing left to do.
        if (!(err instanceof ApiError && err.status === 403 && /ACL not found/.test(err.message))) throw err;
      }
      loggedOut = true;
    },
  };
}
