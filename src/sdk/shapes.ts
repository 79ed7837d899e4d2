// Response and request shapes of Consul's HTTP API as the SDK returns them (no I/O).
/** A KV pair with its value decoded. */
export interface KVPair {
  Key: string;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Flags: number;
  Value: Buffer;
  Session?: string;
}

export type WireKVPair = Omit<KVPair, 'Value'> & { Value: string | null };


export interface Member {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string>;
  Status: number;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

export interface CatalogServiceInstance {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string> | null;
  NodeMeta: Record<string, string> | null;
  ServiceName: string;
}

export type ConfigEntry = Record<string, unknown> & { Kind: string; Name: string; ModifyIndex?: number };

export interface AclLink {
  ID: string;
  Name: string;
}

export interface AclServiceIdentity {
  ServiceName: string;
  Datacenters?: string[];
}

export interface AclNodeIdentity {
  NodeName: string;
  Datacenter: string;
}

export interface AclToken {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: AclLink[];
  Roles?: AclLink[];
  ServiceIdentities?: AclServiceIdentity[];
  NodeIdentities?: AclNodeIdentity[];
  Local: boolean;
  /** Name of the auth method that created it (login tokens only). */
  AuthMethod?: string;
  ExpirationTime?: string;
  CreateTime: string;
  Hash?: string;
  CreateIndex?: number;
  ModifyIndex?: number;
}

/** Body of PUT /v1/acl/token (create) and PUT /v1/acl/token/:accessor (update). */
export interface AclTokenInput {
  AccessorID?: string;
  SecretID?: string;
  Description?: string;
  Policies?: { ID?: string; Name?: string }[];
  Roles?: { ID?: string; Name?: string }[];
  ServiceIdentities?: AclServiceIdentity[];
  NodeIdentities?: AclNodeIdentity[];
  Local?: boolean;
  ExpirationTime?: string;
  /** Go duration string on the wire (`"10m"`) or nanoseconds. */
  ExpirationTTL?: string | number;
}

export interface AclRole {
  ID: string;
  Name: string;
  Description: string;
  Policies?: AclLink[];
  ServiceIdentities?: AclServiceIdentity[];
  NodeIdentities?: AclNodeIdentity[];
  Hash?: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Body of PUT /v1/acl/role (create; no ID) and PUT /v1/acl/role/:id (update). */
export interface AclRoleInput {
  ID?: string;
  Name: string;
  Description?: string;
  Policies?: { ID?: string; Name?: string }[];
  ServiceIdentities?: AclServiceIdentity[];
  NodeIdentities?: AclNodeIdentity[];
}

/** Config of a `kubernetes` auth method. */
export interface KubernetesAuthMethodConfig {
  Host: string;
  CACert: string;
  ServiceAccountJWT: string;
}

export interface AclAuthMethod {
  Name: string;
  Type: string;
  DisplayName?: string;
  Description?: string;
  /** Go duration string (`"10m0s"`); absent when unset. */
  MaxTokenTTL?: string;
  TokenLocality?: string;
  /** Absent in GET /v1/acl/auth-methods (the list). */
  Config?: Record<string, unknown>;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AclAuthMethodInput {
  Name: string;
  Type: string;
  DisplayName?: string;
  Description?: string;
  /** Go duration string (`"10m"`), 1m–24h. */
  MaxTokenTTL?: string;
  TokenLocality?: '' | 'local' | 'global';
  Config?: KubernetesAuthMethodConfig | Record<string, unknown>;
}

export type AclBindType = 'service' | 'node' | 'role' | 'policy' | 'templated-policy';

export interface AclBindingRule {
  ID: string;
  Description: string;
  AuthMethod: string;
  Selector: string;
  BindType: AclBindType;
  BindName: string;
  BindVars?: { Name?: string };
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AclBindingRuleInput {
  ID?: string;
  Description?: string;
  AuthMethod: string;
  Selector?: string;
  BindType: AclBindType;
  BindName: string;
  BindVars?: { Name?: string };
}

/** Body of POST /v1/acl/login. */
export interface AclLoginInput {
  AuthMethod: string;
  BearerToken: string;
  Meta?: Record<string, string>;
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
