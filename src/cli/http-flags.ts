// Consul's standard HTTP flags (command/flags/http.go) and how they combine with the environment:
// default < environment < flag; token: -token-file > -token > CONSUL_HTTP_TOKEN_FILE > CONSUL_HTTP_TOKEN.
import { configFromEnv } from '../sdk/config.js';
import type { ClientOptions } from '../sdk/client.js';
import type { FlagSpec } from './command.js';
import type { FlagValues } from './flags.js';

export const HTTP_FLAGS: Record<string, FlagSpec> = {
  'http-addr': { type: 'string', doc: 'The address of the agent: host:port, http(s)://host:port or unix:///path (env CONSUL_HTTP_ADDR / ISTHMUS_HTTP_ADDR, default 127.0.0.1:8500).' },
  token: { type: 'string', doc: 'ACL token for the request (env CONSUL_HTTP_TOKEN / ISTHMUS_HTTP_TOKEN).' },
  'token-file': { type: 'string', doc: 'File holding the ACL token (env CONSUL_HTTP_TOKEN_FILE); wins over -token.' },
  'ca-file': { type: 'string', doc: 'CA certificate file for HTTPS (env CONSUL_CACERT).' },
  'ca-path': { type: 'string', doc: 'Directory of CA certificates for HTTPS (env CONSUL_CAPATH).' },
  'client-cert': { type: 'string', doc: 'Client certificate for HTTPS; needs -client-key (env CONSUL_CLIENT_CERT).' },
  'client-key': { type: 'string', doc: 'Client key for HTTPS; needs -client-cert (env CONSUL_CLIENT_KEY).' },
  'tls-server-name': { type: 'string', doc: 'Server name to verify the HTTPS certificate against (env CONSUL_TLS_SERVER_NAME).' },
  datacenter: { type: 'string', doc: 'Datacenter to query (sent as ?dc=).' },
  stale: { type: 'boolean', doc: 'Allow any server to answer reads (sent as ?stale).' },
  namespace: { type: 'string', doc: 'Namespace (Consul Enterprise; Isthmus, like Consul CE, refuses it).' },
  partition: { type: 'string', doc: 'Admin partition (Consul Enterprise; Isthmus, like Consul CE, refuses any but "default").' },
};

function str(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Client options from the environment overlaid with the given flags; `warn` receives ignored env values. */
export function clientOptions(flags: FlagValues, env: Record<string, string | undefined>, warn: (text: string) => void): ClientOptions {
  const { config, warnings } = configFromEnv(env);
  for (const w of warnings) warn(w);
  const tls = { ...config.tls };
  const setTls = (key: keyof typeof tls, flag: string): void => {
    const v = str(flags, flag);
    if (v !== undefined) (tls as Record<string, unknown>)[key] = v;
  };
  setTls('caFile', 'ca-file');
  setTls('caPath', 'ca-path');
  setTls('certFile', 'client-cert');
  setTls('keyFile', 'client-key');
  setTls('serverName', 'tls-server-name');
  const query: Record<string, string | true> = { ...config.query };
  const dc = str(flags, 'datacenter');
  if (dc !== undefined) query.dc = dc;
  if (flags.stale === true) query.stale = true;
  const ns = str(flags, 'namespace');
  if (ns !== undefined) query.ns = ns;
  const partition = str(flags, 'partition');
  if (partition !== undefined) query.partition = partition;
  // Token precedence: -token-file > -token > CONSUL_HTTP_TOKEN_FILE > CONSUL_HTTP_TOKEN.
  const tokenFileFlag = str(flags, 'token-file');
  const tokenFlag = str(flags, 'token');
  const options: ClientOptions = { address: str(flags, 'http-addr') ?? config.address, scheme: config.scheme, tls, query };
  if (tokenFileFlag !== undefined) options.tokenFile = tokenFileFlag;
  else if (tokenFlag !== undefined) options.token = tokenFlag;
  else if (config.tokenFile !== undefined) options.tokenFile = config.tokenFile;
  else if (config.token !== undefined) options.token = config.token;
  if (config.auth) options.auth = config.auth;
  return options;
}
