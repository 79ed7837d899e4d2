// `isthmus login` / `isthmus logout`: exchange a bearer token (a Kubernetes service-account JWT) for an
// ACL token written to a sink file, and destroy it again.
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError, type Command } from '../../command.js';
import { api, list, required } from './common.js';

function meta(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`Error parsing -meta flag: "${p}" is not a key=value pair`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export const loginCommand: Command = {
  path: ['login'],
  summary: 'Log in with an auth method and write the ACL token to a file',
  usage: 'isthmus login -method NAME -bearer-token-file FILE -token-sink-file FILE [-meta k=v]...',
  flags: {
    method: { type: 'string', doc: 'Name of the auth method to log in with.' },
    'bearer-token-file': { type: 'string', doc: 'File holding the bearer token (the service-account JWT).' },
    'token-sink-file': { type: 'string', doc: 'File the ACL token secret is written to.' },
    meta: { type: 'string', multiple: true, doc: 'Metadata k=v for the token description; repeatable.' },
  },
  async run({ flags }, ctx) {
    const method = required(flags, 'method');
    const sink = required(flags, 'token-sink-file');
    const file = required(flags, 'bearer-token-file');
    let bearer: string;
    try {
      bearer = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`Error reading bearer token file: ${(err as Error).message}`);
    }
    if (bearer === '') throw new UsageError(`No bearer token found in ${file}`);
    const m = meta(list(flags, 'meta'));
    const tok = await api('Error logging in', () => ctx.client().aclLogin({ AuthMethod: method, BearerToken: bearer, ...(m ? { Meta: m } : {}) }));
    try {
      writeFileSync(sink, tok.SecretID, { mode: 0o600 });
    } catch (err) {
      throw new UsageError(`Error writing token to file sink: ${(err as Error).message}`);
    }
  },
};

export const logoutCommand: Command = {
  path: ['logout'],
  summary: 'Destroy an ACL token created by login (the one given by -token / the environment)',
  usage: 'isthmus logout [-token SECRET | -token-file FILE]',
  flags: {},
  async run(_a, ctx) {
    await api('Error destroying token', () => ctx.client().aclLogout());
  },
};

export const LOGIN_COMMANDS: Command[] = [loginCommand, logoutCommand];
