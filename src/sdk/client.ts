// The typed HTTP client: the only way the CLI (and other tools) talk to a server.

export const DEFAULT_HTTP_ADDR = 'http://127.0.0.1:8500';

/** A non-2xx answer from the server; `message` is the server's own text. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  constructor(address: string, cause: unknown) {
    super(`cannot reach the server at ${address}: ${(cause as Error).cause ? ((cause as Error).cause as Error).message : (cause as Error).message}`);
    this.name = 'ConnectionError';
  }
}

export interface ClientOptions {
  /** @default DEFAULT_HTTP_ADDR */
  address?: string;
  token?: string;
}

export type QueryValue = string | number | boolean | string[] | undefined;

export interface CatalogNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  PeerName?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ServiceDefinition {
  ID?: string;
  Name?: string;
  Tags?: string[];
  Address?: string;
  Port?: number;
  Meta?: Record<string, string>;
  [key: string]: unknown;
}

export class IsthmusClient {
  readonly address: string;
  readonly #token: string | undefined;

  constructor(options: ClientOptions = {}) {
    this.address = (options.address ?? DEFAULT_HTTP_ADDR).replace(/\/+$/, '');
    this.#token = options.token;
  }

  async request<T>(method: string, path: string, options: { query?: Record<string, QueryValue>; body?: unknown } = {}): Promise<T> {
    const url = new URL(this.address + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined || v === false) continue;
      for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item === true ? '' : String(item));
    }
    const headers: Record<string, string> = {};
    if (this.#token) headers['X-Consul-Token'] = this.#token;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      throw new ConnectionError(this.address, err);
    }
    const text = await res.text();
    if (!res.ok) throw new ApiError(res.status, text.trim() || `${res.status} ${res.statusText}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  catalogServices(query: { peer?: string } = {}): Promise<Record<string, string[]>> {
    return this.request('GET', '/v1/catalog/services', { query });
  }

  catalogNodes(query: { peer?: string } = {}): Promise<CatalogNode[]> {
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

  aclTokenCreate(t: { Description?: string; Policies?: { ID?: string; Name?: string }[]; ServiceIdentities?: { ServiceName: string }[] }): Promise<AclToken> {
    return this.request('PUT', '/v1/acl/token', { body: t });
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

  configDelete(kind: string, name: string): Promise<void> {
    return this.request('DELETE', `/v1/config/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`);
  }
}

export type ConfigEntry = Record<string, unknown> & { Kind: string; Name: string; ModifyIndex?: number };

export interface AclToken {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: { ID: string; Name: string }[];
  ServiceIdentities?: { ServiceName: string }[];
  Local: boolean;
  CreateTime: string;
}

export interface AclPolicy {
  ID: string;
  Name: string;
  Description: string;
  Rules?: string;
}

export interface AgentService {
  ID: string;
  Service: string;
  Kind?: string;
  Address: string;
  Port: number;
  Proxy?: {
    DestinationServiceName: string;
    DestinationServiceID: string;
    LocalServiceAddress?: string;
    LocalServicePort?: number;
    Upstreams?: { DestinationName: string; DestinationPeer?: string; DestinationType?: string; LocalBindAddress?: string; LocalBindPort?: number; MeshGateway?: { Mode?: string } }[];
    MeshGateway?: { Mode?: string };
    Mode?: string;
    TransparentProxy?: { OutboundListenerPort?: number; DialedDirectly?: boolean };
    Config?: Record<string, unknown>;
    Expose?: { Checks?: boolean; Paths?: { ListenerPort?: number }[] };
  };
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
}

export interface HealthEntry {
  Node: { Node: string; Address: string };
  Service: {
    ID: string;
    Service: string;
    Kind?: string;
    Address: string;
    Port?: number;
    TaggedAddresses?: Record<string, { Address: string; Port: number }>;
    Connect?: { PeerMeta?: { SNI: string[]; SpiffeID: string[]; Protocol: string } };
    Proxy?: { DestinationServiceName?: string; DestinationServiceID?: string };
    Meta?: Record<string, string>;
    Tags?: string[];
  };
  Checks: { Status: string }[];
}

export interface Peering {
  ID: string;
  Name: string;
  State: string;
  Partition?: string;
  DeletedAt?: string;
  Meta?: Record<string, string>;
  PeerID?: string;
  PeerCAPems?: string[];
  PeerServerName?: string;
  PeerServerAddresses?: string[];
  StreamStatus: { ImportedServices: string[] | null; ExportedServices: string[] | null; LastHeartbeat: string | null; LastReceive: string | null; LastSend: string | null };
  CreateIndex: number;
  ModifyIndex: number;
  Remote: { Partition: string; Datacenter: string };
}
