// The typed HTTP client: the only way the CLI (and other tools) talk to a server.
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readTls, readTokenFile } from './client-files.js';
import { ClientConfigError, parseAddress, type Endpoint, type TlsOptions } from './config.js';
import type { CatalogNode, ServiceDefinition, KVPair, WireKVPair, Member, CatalogServiceInstance, ConfigEntry, AclToken, AclTokenInput, AclPolicy, AclRole, AclRoleInput, AclAuthMethod, AclAuthMethodInput, AclBindingRule, AclBindingRuleInput, AclLoginInput, AgentService, HealthEntry, Peering } from './shapes.js';

export const DEFAULT_HTTP_ADDR = 'http://127.0.0.1:8500';

/** A non-2xx answer from the server; `message` is the server's own text. */
export class ApiError extends Error {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  constructor(status: number, message: string, headers: IncomingHttpHeaders = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.headers = headers;
  }
}

/** The server could not be reached at all (worded like Go's net/http errors). */
export class ConnectionError extends Error {
  constructor(method: string, url: string, cause: unknown) {
    super(`${method[0]}${method.slice(1).toLowerCase()} "${url}": ${goNetError(cause)}`);
    this.name = 'ConnectionError';
  }
}

function goNetError(cause: unknown): string {
  const e = cause as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e.code === 'ECONNREFUSED') return `dial tcp ${e.address ?? ''}:${e.port ?? ''}: connect: connection refused`;
  if (e.code === 'ENOENT' && e.address) return `dial unix ${e.address}: connect: no such file or directory`;
  if (e.code === 'ENOTFOUND') return `dial tcp: lookup ${(e as { hostname?: string }).hostname ?? ''}: no such host`;
  return e.message;
}

export { ClientConfigError } from './config.js';
export type { CatalogNode, ServiceDefinition, KVPair, WireKVPair, Member, CatalogServiceInstance, ConfigEntry, AclToken, AclTokenInput, AclPolicy, AclLink, AclServiceIdentity, AclNodeIdentity, AclRole, AclRoleInput, AclAuthMethod, AclAuthMethodInput, KubernetesAuthMethodConfig, AclBindType, AclBindingRule, AclBindingRuleInput, AclLoginInput, AgentService, HealthEntry, Peering } from './shapes.js';

export interface ClientOptions {
  /** `host:port`, `http(s)://host:port[/prefix]` or `unix:///path`. @default DEFAULT_HTTP_ADDR */
  address?: string;
  /** Scheme for an address without one (CONSUL_HTTP_SSL). @default 'http' */
  scheme?: 'http' | 'https';
  token?: string;
  /** Read when the client is built; wins over `token`. */
  tokenFile?: string;
  auth?: { username: string; password?: string };
  tls?: TlsOptions;
  /** Query parameters sent on every request (`dc`, `stale`, `ns`, `partition`). */
  query?: Record<string, string | true>;
}

export type QueryValue = string | number | boolean | string[] | undefined;

/** A response with its raw bytes (KV values are binary). */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}



export class IsthmusClient {
  /** The address requests go to, as a URL base (`http://host:port[/prefix]` or `unix://path`). */
  readonly address: string;
  readonly #endpoint: Endpoint;
  readonly #token: string | undefined;
  readonly #auth: string | undefined;
  readonly #tls: ReturnType<typeof readTls>;
  readonly #query: Record<string, string | true>;
  readonly #options: ClientOptions;

  /** Throws ClientConfigError for a bad address, token file or TLS material (as Consul's client creation fails). */
  constructor(options: ClientOptions = {}) {
    this.#endpoint = parseAddress(options.address ?? DEFAULT_HTTP_ADDR, options.scheme ?? 'http');
    const e = this.#endpoint;
    this.address = e.socketPath ? `unix://${e.socketPath}` : `${e.scheme}://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}${e.prefix}`;
    let token = options.token;
    if (options.tokenFile) token = readTokenFile(options.tokenFile);
    this.#token = token || undefined;
    this.#auth = options.auth ? Buffer.from(`${options.auth.username}:${options.auth.password ?? ''}`).toString('base64') : undefined;
    this.#tls = readTls(options.tls ?? {});
    this.#query = options.query ?? {};
    this.#options = options;
  }

  /** The same client (address, TLS, query) sending `token` instead of its own (e.g. the SecretID of a login). */
  withToken(token: string): IsthmusClient {
    const { tokenFile: _ignored, ...rest } = this.#options;
    return new IsthmusClient({ ...rest, token });
  }

  /** Sends a request and answers the raw response, whatever its status. */
  async raw(method: string, path: string, options: { query?: Record<string, QueryValue>; body?: Buffer | string; contentType?: string; signal?: AbortSignal; token?: string } = {}): Promise<RawResponse> {
    const params = new URLSearchParams();
    const add = (k: string, item: string | number | boolean): void => params.append(k, item === true ? '' : String(item));
    for (const [k, v] of Object.entries(this.#query)) if (options.query?.[k] === undefined) add(k, v);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined || v === false) continue;
      for (const item of Array.isArray(v) ? v : [v]) add(k, item);
    }
    // Bare flags (`?recurse`) go without `=` as Consul's Go client sends them.
    const search = params.toString().replace(/=(?=&|$)/g, '');
    const e = this.#endpoint;
    const fullPath = `${e.prefix}${path}${search ? `?${search}` : ''}`;
    const headers: Record<string, string> = {};
    const token = options.token ?? this.#token;
    if (token) headers['X-Consul-Token'] = token;
    if (this.#auth) headers.Authorization = `Basic ${this.#auth}`;
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    if (body !== undefined) {
      headers['Content-Length'] = String(body.length);
      if (options.contentType) headers['Content-Type'] = options.contentType;
    }
    const req: RequestOptions = { method, path: fullPath, headers, ...(options.signal ? { signal: options.signal } : {}), ...(e.socketPath ? { socketPath: e.socketPath, host: 'localhost' } : { host: e.host, port: e.port }) };
    const send = e.scheme === 'https' ? httpsRequest : httpRequest;
    const url = `${this.address}${path}${search ? `?${search}` : ''}`;
    return new Promise<RawResponse>((resolve, reject) => {
      const r = send({ ...req, ...(e.scheme === 'https' ? this.#tls : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => reject(new ConnectionError(method, url, err)));
      });
      r.on('error', (err) => reject(new ConnectionError(method, url, err)));
      r.end(body);
    });
  }

  async request<T>(method: string, path: string, options: { query?: Record<string, QueryValue>; body?: unknown; token?: string } = {}): Promise<T> {
    const res = await this.raw(method, path, {
      ...(options.query ? { query: options.query } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body), contentType: 'application/json' } : {}),
    });
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, text.trim() || String(res.status), res.headers);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  catalogServices(query: { peer?: string } = {}): Promise<Record<string, string[]>> {
    return this.request('GET', '/v1/catalog/services', { query });
  }

  catalogNodes(query: { peer?: string; 'node-meta'?: string[]; filter?: string; near?: string } = {}): Promise<CatalogNode[]> {
    return this.request('GET', '/v1/catalog/nodes', { query });
  }

  registerService(def: ServiceDefinition, query: { 'replace-existing-checks'?: boolean } = {}): Promise<void> {
    return this.request('PUT', '/v1/agent/service/register', { body: def, query });
  }

  deregisterService(id: string): Promise<void> {
    return this.request('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
  }

  configWrite(entry: Record<string, unknown>, query: { cas?: number } = {}): Promise<boolean> {
    return this.request('PUT', '/v1/config', { body: entry, query });
  }

  configRead(kind: string, name: string): Promise<ConfigEntry> {
    return this.request('GET', `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`);
  }

  configList(kind: string): Promise<ConfigEntry[]> {
    return this.request('GET', `/v1/config/${encodeURIComponent(kind)}`);
  }

  peeringGenerateToken(req: { PeerName: string; Meta?: Record<string, string>; ServerExternalAddresses?: string[] }): Promise<{ PeeringToken: string }> {
    return this.request('POST', '/v1/peering/token', { body: req });
  }

  peeringEstablish(req: { PeerName: string; PeeringToken: string; Meta?: Record<string, string> }): Promise<void> {
    return this.request('POST', '/v1/peering/establish', { body: req });
  }

  peeringRead(name: string): Promise<Peering> {
    return this.request('GET', `/v1/peering/${encodeURIComponent(name)}`);
  }

  peeringList(): Promise<Peering[]> {
    return this.request('GET', '/v1/peerings');
  }

  peeringDelete(name: string): Promise<void> {
    return this.request('DELETE', `/v1/peering/${encodeURIComponent(name)}`);
  }

  exportedServices(): Promise<{ Service: string; Consumers: { Peers?: string[]; Partitions?: string[] } }[]> {
    return this.request('GET', '/v1/exported-services');
  }

  discoveryChain<T = Record<string, unknown>>(service: string): Promise<{ Chain: T }> {
    return this.request('GET', `/v1/discovery-chain/${encodeURIComponent(service)}`);
  }

  virtualIps(): Promise<{ Service: string; Peer: string; VirtualIP: string; ManualVIPs: string[] }[]> {
    return this.request('GET', '/v1/internal/virtual-ips');
  }

  agentService(id: string): Promise<AgentService> {
    return this.request('GET', `/v1/agent/service/${encodeURIComponent(id)}`);
  }

  leaf(service: string): Promise<{ CertPEM: string; PrivateKeyPEM: string; ServiceURI: string; ValidBefore: string }> {
    return this.request('GET', `/v1/agent/connect/ca/leaf/${encodeURIComponent(service)}`);
  }

  roots(): Promise<{ ActiveRootID: string; TrustDomain: string; Roots: { ID: string; RootCert: string; IntermediateCerts: string[] | null }[] }> {
    return this.request('GET', '/v1/agent/connect/ca/roots');
  }

  trustBundles(service: string): Promise<{ PeerName: string; TrustDomain: string; RootPEMs: string[] }[]> {
    return this.request('GET', '/v1/internal/peering/trust-bundles', { query: { service } });
  }

  healthConnect(name: string, query: { peer?: string; passing?: boolean } = {}): Promise<HealthEntry[]> {
    return this.request('GET', `/v1/health/connect/${encodeURIComponent(name)}`, { query });
  }

  healthService(name: string, query: { peer?: string; passing?: boolean } = {}): Promise<HealthEntry[]> {
    return this.request('GET', `/v1/health/service/${encodeURIComponent(name)}`, { query });
  }

  /**
   * A blocking query on the intentions that apply to `destination`: resolves with the new
   * X-Consul-Index once they may have changed (or after `wait`). Start with index 0.
   */
  async watchIntentions(destination: string, index: number, options: { wait?: string; signal?: AbortSignal } = {}): Promise<number> {
    const query: Record<string, QueryValue> = { by: 'destination', name: destination };
    if (index > 0) {
      query.index = String(index);
      query.wait = options.wait ?? '5m';
    }
    const res = await this.raw('GET', '/v1/connect/intentions/match', { query, ...(options.signal ? { signal: options.signal } : {}) });
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, text.trim() || String(res.status), res.headers);
    return Number(res.headers['x-consul-index'] ?? 0);
  }

  authorize(target: string, clientCertUri: string): Promise<{ Authorized: boolean; Reason: string; Permissions?: unknown[]; DefaultAllow?: boolean }> {
    return this.request('POST', '/v1/agent/connect/authorize', { body: { Target: target, ClientCertURI: clientCertUri } });
  }

  /** A config entry, or undefined when it does not exist. */
  async configReadOptional(kind: string, name: string): Promise<ConfigEntry | undefined> {
    try {
      return await this.configRead(kind, name);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  self(): Promise<{ Config: { Datacenter: string; NodeName: string }; Member?: { Addr?: string }; xDS?: { Ports?: { TLS?: number } } }> {
    return this.request('GET', '/v1/agent/self');
  }

  aclBootstrap(): Promise<AclToken> {
    return this.request('PUT', '/v1/acl/bootstrap');
  }

  aclPolicyCreate(p: { Name: string; Description?: string; Rules?: string }): Promise<AclPolicy> {
    return this.request('PUT', '/v1/acl/policy', { body: p });
  }

  aclPolicies(): Promise<AclPolicy[]> {
    return this.request('GET', '/v1/acl/policies');
  }

  aclPolicyRead(id: string): Promise<AclPolicy> {
    return this.request('GET', `/v1/acl/policy/${encodeURIComponent(id)}`);
  }

  aclPolicyReadByName(name: string): Promise<AclPolicy> {
    return this.request('GET', `/v1/acl/policy/name/${encodeURIComponent(name)}`);
  }

  aclPolicyDelete(id: string): Promise<boolean> {
    return this.request('DELETE', `/v1/acl/policy/${encodeURIComponent(id)}`);
  }

  aclTokenCreate(t: AclTokenInput): Promise<AclToken> {
    return this.request('PUT', '/v1/acl/token', { body: t });
  }

  aclTokenUpdate(accessor: string, t: AclTokenInput): Promise<AclToken> {
    return this.request('PUT', `/v1/acl/token/${encodeURIComponent(accessor)}`, { body: t });
  }

  /** The token of the presented secret (`token` overrides the client's own). */
  aclTokenSelf(token?: string): Promise<AclToken> {
    return this.request('GET', '/v1/acl/token/self', token !== undefined ? { token } : {});
  }

  aclTokens(): Promise<AclToken[]> {
    return this.request('GET', '/v1/acl/tokens');
  }

  aclTokenRead(accessor: string): Promise<AclToken> {
    return this.request('GET', `/v1/acl/token/${encodeURIComponent(accessor)}`);
  }

  aclTokenDelete(accessor: string): Promise<boolean> {
    return this.request('DELETE', `/v1/acl/token/${encodeURIComponent(accessor)}`);
  }

  aclRoleCreate(r: AclRoleInput): Promise<AclRole> {
    return this.request('PUT', '/v1/acl/role', { body: r });
  }

  aclRoleUpdate(id: string, r: AclRoleInput): Promise<AclRole> {
    return this.request('PUT', `/v1/acl/role/${encodeURIComponent(id)}`, { body: r });
  }

  aclRoleRead(id: string): Promise<AclRole> {
    return this.request('GET', `/v1/acl/role/${encodeURIComponent(id)}`);
  }

  aclRoleReadByName(name: string): Promise<AclRole> {
    return this.request('GET', `/v1/acl/role/name/${encodeURIComponent(name)}`);
  }

  aclRoles(query: { policy?: string } = {}): Promise<AclRole[]> {
    return this.request('GET', '/v1/acl/roles', { query });
  }

  aclRoleDelete(id: string): Promise<boolean> {
    return this.request('DELETE', `/v1/acl/role/${encodeURIComponent(id)}`);
  }

  aclAuthMethodCreate(m: AclAuthMethodInput): Promise<AclAuthMethod> {
    return this.request('PUT', '/v1/acl/auth-method', { body: m });
  }

  aclAuthMethodUpdate(name: string, m: AclAuthMethodInput): Promise<AclAuthMethod> {
    return this.request('PUT', `/v1/acl/auth-method/${encodeURIComponent(name)}`, { body: m });
  }

  aclAuthMethodRead(name: string): Promise<AclAuthMethod> {
    return this.request('GET', `/v1/acl/auth-method/${encodeURIComponent(name)}`);
  }

  /** Auth methods without their Config. */
  aclAuthMethods(): Promise<AclAuthMethod[]> {
    return this.request('GET', '/v1/acl/auth-methods');
  }

  /** Deletes the method, its binding rules and every token it created. */
  aclAuthMethodDelete(name: string): Promise<boolean> {
    return this.request('DELETE', `/v1/acl/auth-method/${encodeURIComponent(name)}`);
  }

  aclBindingRuleCreate(r: AclBindingRuleInput): Promise<AclBindingRule> {
    return this.request('PUT', '/v1/acl/binding-rule', { body: r });
  }

  aclBindingRuleUpdate(id: string, r: AclBindingRuleInput): Promise<AclBindingRule> {
    return this.request('PUT', `/v1/acl/binding-rule/${encodeURIComponent(id)}`, { body: r });
  }

  aclBindingRuleRead(id: string): Promise<AclBindingRule> {
    return this.request('GET', `/v1/acl/binding-rule/${encodeURIComponent(id)}`);
  }

  aclBindingRules(query: { authmethod?: string } = {}): Promise<AclBindingRule[]> {
    return this.request('GET', '/v1/acl/binding-rules', { query });
  }

  aclBindingRuleDelete(id: string): Promise<boolean> {
    return this.request('DELETE', `/v1/acl/binding-rule/${encodeURIComponent(id)}`);
  }

  /** Exchanges a bearer token (a Kubernetes service-account JWT) for an ACL token; needs no ACL token. */
  aclLogin(body: AclLoginInput): Promise<AclToken> {
    // A login carries no ACL token of its own (a stale CONSUL_HTTP_TOKEN must not get in the way).
    return this.request('POST', '/v1/acl/login', { body, token: '' });
  }

  /** Deletes a token created by login: `token` if given, else the client's own. */
  aclLogout(token?: string): Promise<boolean> {
    return this.request('POST', '/v1/acl/logout', token !== undefined ? { token } : {});
  }

  /** KV paths as Go's client sends them (the key is escaped per segment; `/` stays). */
  #kvPath(key: string): string {
    if (key.startsWith('/')) throw new ClientConfigError(`Invalid key. Key must not begin with a '/': ${key}`);
    return `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  async #kvRead(key: string, query: Record<string, QueryValue>): Promise<unknown> {
    const res = await this.raw('GET', this.#kvPath(key), { query });
    if (res.status === 404) return undefined;
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new ApiError(res.status, text.trim() || String(res.status), res.headers);
    return JSON.parse(text);
  }

  /** One key, or undefined when it does not exist. */
  async kvGet(key: string): Promise<KVPair | undefined> {
    const list = (await this.#kvRead(key, {})) as WireKVPair[] | undefined;
    return list?.[0] ? fromWire(list[0]) : undefined;
  }

  /** Every pair under a prefix (empty when none). */
  async kvList(prefix: string): Promise<KVPair[]> {
    return (((await this.#kvRead(prefix, { recurse: true })) as WireKVPair[] | undefined) ?? []).map(fromWire);
  }

  /** Key names under a prefix, cut after `separator` when one is given. */
  async kvKeys(prefix: string, separator = ''): Promise<string[]> {
    return ((await this.#kvRead(prefix, { keys: true, ...(separator ? { separator } : {}) })) as string[] | undefined) ?? [];
  }

  /** PUT /v1/kv: true when written (a CAS or lock may answer false). */
  kvPut(key: string, value: Buffer, query: { flags?: number; cas?: number; acquire?: string; release?: string } = {}): Promise<boolean> {
    return this.#kvWrite('PUT', key, { ...query, flags: query.flags || undefined }, value);
  }

  kvDelete(key: string, query: { recurse?: boolean; cas?: number } = {}): Promise<boolean> {
    return this.#kvWrite('DELETE', key, query);
  }

  async #kvWrite(method: string, key: string, query: Record<string, QueryValue>, body?: Buffer): Promise<boolean> {
    const res = await this.raw(method, this.#kvPath(key), { query, ...(body ? { body } : {}) });
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new ApiError(res.status, text.trim() || String(res.status), res.headers);
    return text.trim() === 'true';
  }

  /** PUT /v1/txn: the parsed body and whether it committed (200) or rolled back (409). */
  async txn(ops: unknown[]): Promise<{ committed: boolean; Results: { KV?: WireKVPair }[] | null; Errors: { OpIndex: number; What: string }[] | null }> {
    const res = await this.raw('PUT', '/v1/txn', { body: JSON.stringify(ops), contentType: 'application/json' });
    const text = res.body.toString('utf8');
    if (res.status !== 200 && res.status !== 409) throw new ApiError(res.status, text.trim() || String(res.status), res.headers);
    return { committed: res.status === 200, ...(JSON.parse(text) as { Results: { KV?: WireKVPair }[] | null; Errors: { OpIndex: number; What: string }[] | null }) };
  }

  members(query: { wan?: boolean; segment?: string } = {}): Promise<Member[]> {
    return this.request('GET', '/v1/agent/members', { query });
  }

  datacenters(): Promise<string[]> {
    return this.request('GET', '/v1/catalog/datacenters');
  }

  catalogService(name: string, query: { tag?: string; 'node-meta'?: string[]; filter?: string } = {}): Promise<CatalogServiceInstance[]> {
    return this.request('GET', `/v1/catalog/service/${encodeURIComponent(name)}`, { query });
  }

  importedServices(): Promise<{ Service: string; SourcePeer?: string; Partition?: string; Namespace?: string; SourcePartition?: string }[]> {
    return this.request('GET', '/v1/imported-services');
  }

  configDelete(kind: string, name: string): Promise<void> {
    return this.request('DELETE', `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`);
  }
}

function fromWire(p: WireKVPair): KVPair {
  return { ...p, Value: p.Value ? Buffer.from(p.Value, 'base64') : Buffer.alloc(0) };
}
