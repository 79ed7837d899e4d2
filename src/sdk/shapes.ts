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
