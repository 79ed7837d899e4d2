// The API shapes the UI reads (Consul's field names).
export type PeeringState = 'PENDING' | 'ESTABLISHING' | 'ACTIVE' | 'FAILING' | 'DELETING' | 'TERMINATED' | 'UNDEFINED';

export interface Peering {
  ID: string;
  Name: string;
  State: PeeringState;
  DeletedAt?: string;
  Meta?: Record<string, string>;
  PeerID?: string;
  PeerServerName?: string;
  PeerServerAddresses?: string[];
  StreamStatus: {
    ImportedServices: string[] | null;
    ExportedServices: string[] | null;
    LastHeartbeat: string | null;
    LastReceive: string | null;
    LastSend: string | null;
  };
  Remote: { Partition?: string; Datacenter?: string };
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ServiceSummary {
  Name: string;
  Kind?: string;
  Tags: string[] | null;
  Nodes: string[] | null;
  InstanceCount: number;
  ChecksPassing: number;
  ChecksWarning: number;
  ChecksCritical: number;
  ConnectedWithProxy?: boolean;
  PeerName?: string;
}

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: 'passing' | 'warning' | 'critical' | 'maintenance';
  Output: string;
  ServiceID: string;
  Type?: string;
}

export interface HealthEntry {
  Node: { Node: string; Address: string; Datacenter?: string; PeerName?: string };
  Service: {
    ID: string;
    Service: string;
    Tags: string[] | null;
    Address: string;
    Port: number;
    Meta: Record<string, string> | null;
    Kind?: string;
    TaggedAddresses?: Record<string, { Address: string; Port: number }>;
    PeerName?: string;
  };
  Checks: HealthCheck[];
}

export interface Intention {
  SourceName: string;
  SourcePeer?: string;
  DestinationName: string;
  Action?: 'allow' | 'deny';
  Permissions?: unknown[];
  Description?: string;
  Precedence: number;
}

export interface IntentionSource {
  Name: string;
  Peer?: string;
  Action?: 'allow' | 'deny';
  Description?: string;
  Permissions?: unknown[];
  [k: string]: unknown;
}

export interface ServiceIntentionsEntry {
  Kind: 'service-intentions';
  Name: string;
  Sources: IntentionSource[];
  ModifyIndex?: number;
  [k: string]: unknown;
}
