// The catalog model: nodes, service instances and health checks as stored, keyed by keyspace.

/** Local data lives in keyspace "" (empty PeerName); imported data in the peer's local name. */
export type Keyspace = string;

export type CheckStatus = 'passing' | 'warning' | 'critical';
export const CHECK_STATUSES: readonly CheckStatus[] = ['passing', 'warning', 'critical'];

export interface NodeRecord {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
  Locality?: unknown;
  PeerName: string;
}

export interface ServiceAddress {
  Address: string;
  Port: number;
}

export interface ServiceRecord {
  Node: string;
  Kind: string;
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  TaggedAddresses: Record<string, ServiceAddress>;
  Meta: Record<string, string>;
  Port: number;
  SocketPath: string;
  Weights: { Passing: number; Warning: number };
  EnableTagOverride: boolean;
  Proxy?: Record<string, unknown>;
  Connect?: Record<string, unknown>;
  Locality?: unknown;
  PeerName: string;
}

/** How the server runs a check; durations in milliseconds. Empty for catalog-only checks. */
export interface CheckDefinition {
  HTTP?: string;
  Method?: string;
  Header?: Record<string, string[]>;
  Body?: string;
  DisableRedirects?: boolean;
  TLSServerName?: string;
  TLSSkipVerify?: boolean;
  TCP?: string;
  TTL?: number;
  Interval?: number;
  Timeout?: number;
  OutputMaxSize?: number;
  DeregisterCriticalServiceAfter?: number;
}

export interface CheckRecord {
  Node: string;
  CheckID: string;
  Name: string;
  Status: CheckStatus;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  ExposedPort: number;
  Definition: CheckDefinition;
  PeerName: string;
}

/** A record plus the store revisions that created and last modified it. */
export interface Indexed<T> {
  value: T;
  createIndex: number;
  modifyIndex: number;
}

/** A validated catalog registration, ready to write. */
export interface Registration {
  nodeName: string;
  /** Absent when SkipNodeUpdate is set and the node exists (its record is left as it is). */
  node?: NodeRecord;
  service?: ServiceRecord;
  checks: CheckRecord[];
}

export interface Deregistration {
  node: string;
  serviceId?: string;
  checkId?: string;
}

/** One row of /v1/health/service: an instance with its node and every check that applies. */
export interface HealthEntry {
  node: Indexed<NodeRecord>;
  service: Indexed<ServiceRecord>;
  checks: Indexed<CheckRecord>[];
}
