// The login flags of long-running data-plane commands (consul-dataplane's names): `connect proxy`,
// `connect gateway` and `k8s controller` log in with a bearer token when -login-auth-method is given,
// use the returned SecretID for everything, and log out when they stop (sdk/login.ts does the work).
import type { IsthmusClient } from '../../../sdk/client.js';
import { DEFAULT_BEARER_TOKEN_PATH, login, parseLoginMeta, type LoginSession } from '../../../sdk/login.js';
import { UsageError, type CommandContext, type FlagSpec } from '../../command.js';

export const LOGIN_FLAGS: Record<string, FlagSpec> = {
  'login-auth-method': { type: 'string', doc: 'Log in with this auth method (POST /v1/acl/login) and use the token it returns.' },
  'login-bearer-token-path': { type: 'string', doc: `File holding the bearer token to log in with (default ${DEFAULT_BEARER_TOKEN_PATH}).` },
  'login-meta': { type: 'string', multiple: true, doc: 'Metadata key=value for the login token. Repeatable (also env DP_CREDENTIAL_LOGIN_META=k=v[,k=v]).' },
  'login-datacenter': { type: 'string', doc: 'Datacenter to log in to (default: the server’s).' },
};

type Flags = Record<string, string | boolean | string[] | undefined>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface Credentials {
  /** The client to use: the login's token when logged in, else the one the HTTP flags describe. */
  client: IsthmusClient;
  /** Set when logged in. */
  session?: LoginSession;
  /** Logs out (when logged in); never throws: a failure is reported through `warn`. */
  release(warn: (message: string) => void): Promise<void>;
}

/** Logs in when -login-auth-method is set; any other login flag without it is a usage error. */
export async function credentialsFromFlags(flags: Flags, ctx: CommandContext, options: { onRetry?: (err: Error) => void; retryForMs?: number } = {}): Promise<Credentials> {
  const method = str(flags['login-auth-method']);
  const metaFlags = Array.isArray(flags['login-meta']) ? (flags['login-meta'] as string[]) : typeof flags['login-meta'] === 'string' ? [flags['login-meta']] : [];
  if (!method) {
    const stray = ['login-bearer-token-path', 'login-datacenter'].filter((f) => str(flags[f]) !== undefined);
    if (metaFlags.length > 0) stray.push('login-meta');
    if (stray.length > 0) throw new UsageError(`-${stray[0]} needs -login-auth-method`);
    return { client: ctx.client(), release: async () => undefined };
  }
  const meta = parseLoginMeta(metaFlags, ctx.env.DP_CREDENTIAL_LOGIN_META);
  const tokenPath = str(flags['login-bearer-token-path']);
  const dc = str(flags['login-datacenter']);
  const session = await login(ctx.client(), {
    authMethod: method,
    meta,
    ...(tokenPath ? { bearerTokenPath: tokenPath } : {}),
    ...(dc ? { datacenter: dc } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.retryForMs !== undefined ? { retryForMs: options.retryForMs } : {}),
  });
  return {
    client: session.client,
    session,
    release: async (warn) => {
      try {
        await session.logout();
      } catch (err) {
        warn(`logout failed: ${(err as Error).message}`);
      }
    },
  };
}
