// Client configuration the way Consul's Go `api` package builds it: defaults, then CONSUL_* (and
// ISTHMUS_*) environment variables; address forms `host:port`, `http(s)://host:port[/prefix]`, `unix://`.

export const DEFAULT_ADDRESS = '127.0.0.1:8500';

export interface TlsOptions {
  caFile?: string;
  caPath?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  /** CONSUL_HTTP_SSL_VERIFY=false: do not verify the server certificate. */
  insecureSkipVerify?: boolean;
}

/** Everything a client needs to reach one server, before any file is read. */
export interface ClientConfig {
  /** As given: `host:port`, `http(s)://host:port[/prefix]` or `unix:///path`. */
  address: string;
  /** The scheme chosen so far (CONSUL_HTTP_SSL); an `https://` address raises it, `http://` never lowers it. */
  scheme: 'http' | 'https';
  token?: string;
  /** CONSUL_HTTP_TOKEN_FILE / -token-file: read (and trimmed) when the client is built. */
  tokenFile?: string;
  auth?: { username: string; password?: string };
  tls: TlsOptions;
  /** Sent on every request: `dc`, `ns`, `partition`, `stale`. */
  query: Record<string, string | true>;
}

/** Where requests go, once the address is understood. */
export interface Endpoint {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** HTTP over a unix socket (Host `localhost`). */
  socketPath?: string;
  /** Put before every API path (`http://h:p/consul` → `/consul`). */
  prefix: string;
}

/** A configuration mistake found before any request (Consul fails client creation with these). */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

type Env = Record<string, string | undefined>;

/** The first non-empty value among the named variables (empty = unset, as in Consul). */
function pick(env: Env, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/**
 * Defaults overlaid with the environment. For each setting an `ISTHMUS_*` variable, when set, wins
 * over its `CONSUL_*` twin. Returns warnings for values that are ignored (bad booleans).
 */
export function configFromEnv(env: Env): { config: ClientConfig; warnings: string[] } {
  const warnings: string[] = [];
  const bool = (name: string): boolean | undefined => {
    const raw = pick(env, name);
    if (raw === undefined) return undefined;
    const b = parseGoBool(raw);
    if (b === undefined) warnings.push(`Could not parse ${name}: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
    return b;
  };
  const ssl = bool('CONSUL_HTTP_SSL');
  const verify = bool('CONSUL_HTTP_SSL_VERIFY');
  const tls: TlsOptions = {};
  const set = <K extends keyof TlsOptions>(k: K, v: TlsOptions[K] | undefined): void => {
    if (v !== undefined) tls[k] = v;
  };
  set('caFile', pick(env, 'ISTHMUS_CACERT', 'CONSUL_CACERT'));
  set('caPath', pick(env, 'ISTHMUS_CAPATH', 'CONSUL_CAPATH'));
  set('certFile', pick(env, 'ISTHMUS_CLIENT_CERT', 'CONSUL_CLIENT_CERT'));
  set('keyFile', pick(env, 'ISTHMUS_CLIENT_KEY', 'CONSUL_CLIENT_KEY'));
  set('serverName', pick(env, 'ISTHMUS_TLS_SERVER_NAME', 'CONSUL_TLS_SERVER_NAME'));
  if (verify === false) tls.insecureSkipVerify = true;
  const config: ClientConfig = { address: pick(env, 'ISTHMUS_HTTP_ADDR', 'CONSUL_HTTP_ADDR') ?? DEFAULT_ADDRESS, scheme: ssl ? 'https' : 'http', tls, query: {} };
  const token = pick(env, 'ISTHMUS_HTTP_TOKEN', 'CONSUL_HTTP_TOKEN');
  if (token !== undefined) config.token = token;
  const tokenFile = pick(env, 'ISTHMUS_HTTP_TOKEN_FILE', 'CONSUL_HTTP_TOKEN_FILE');
  if (tokenFile !== undefined) config.tokenFile = tokenFile;
  const auth = pick(env, 'CONSUL_HTTP_AUTH');
  if (auth !== undefined) {
    const i = auth.indexOf(':');
    config.auth = i < 0 ? { username: auth } : { username: auth.slice(0, i), password: auth.slice(i + 1) };
  }
  const ns = pick(env, 'CONSUL_NAMESPACE');
  if (ns !== undefined) config.query.ns = ns;
  const partition = pick(env, 'CONSUL_PARTITION');
  if (partition !== undefined) config.query.partition = partition;
  return { config, warnings };
}

/** Understands an address in any of Consul's forms (spec: `Unknown protocol scheme: <scheme>`). */
export function parseAddress(address: string, scheme: 'http' | 'https'): Endpoint {
  let rest = address;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(address);
  if (m) {
    const s = (m[1] as string).toLowerCase();
    rest = m[2] as string;
    if (s === 'unix') return { scheme: 'http', host: 'localhost', port: 80, socketPath: rest, prefix: '' };
    if (s === 'https') scheme = 'https';
    else if (s !== 'http') throw new ClientConfigError(`Unknown protocol scheme: ${m[1] as string}`);
  }
  const slash = rest.indexOf('/');
  const hostPort = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash).replace(/\/+$/, '');
  let host = hostPort;
  let port = scheme === 'https' ? 443 : 80;
  const hp = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(hostPort);
  if (hp) {
    host = hp[1] as string;
    port = Number(hp[2]);
  }
  if (host === '' || /[\s]/.test(host) || port > 65535) throw new ClientConfigError(`invalid HTTP address ${JSON.stringify(address)}`);
  return { scheme, host: host.replace(/^\[|\]$/g, ''), port, prefix };
}

/** `-tls-server-name host:8501` → `host` (Consul strips the port). */
export function stripPort(name: string): string {
  const m = /^(\[[^\]]+\]|[^:]+):\d+$/.exec(name);
  return m ? (m[1] as string).replace(/^\[|\]$/g, '') : name;
}
