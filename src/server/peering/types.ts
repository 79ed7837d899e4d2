// The peering model: the local record of a relationship with one remote cluster, its secrets, and
// the trust bundle imported from it.

/** Stored states (ACTIVE and FAILING are computed on read from the live stream, spec §1.3). */
export type PeeringState = 'UNDEFINED' | 'PENDING' | 'ESTABLISHING' | 'ACTIVE' | 'FAILING' | 'DELETING' | 'TERMINATED';

export interface RemoteInfo {
  Partition: string;
  Datacenter: string;
  Locality?: { Region: string; Zone: string };
}

export interface PeeringRecord {
  ID: string;
  Name: string;
  Partition: string;
  Meta: Record<string, string>;
  State: PeeringState;
  /** RFC 3339, set exactly when State is DELETING. */
  DeletedAt?: string;
  /** Dialer only: the acceptor's ID for this peering. */
  PeerID: string;
  PeerCAPems: string[];
  PeerServerName: string;
  PeerServerAddresses: string[];
  /** From the token's ServerExternalAddresses; preferred for dialing; never rendered. */
  ManualServerAddresses: string[];
  Remote: RemoteInfo;
}

/** Secrets of one peering (spec §5.1). Never logged, never rendered. */
export interface PeeringSecrets {
  establishment?: string;
  active?: string;
  pending?: string;
}

export interface TrustBundle {
  TrustDomain: string;
  PeerName: string;
  Partition: string;
  RootPEMs: string[];
  ExportedPartition: string;
}

export interface Indexed<T> {
  value: T;
  createIndex: number;
  modifyIndex: number;
}

/** A dialer has somewhere to dial (spec §0: ShouldDial). */
export function isDialer(p: PeeringRecord): boolean {
  return p.PeerServerAddresses.length > 0 || p.ManualServerAddresses.length > 0;
}

/** Addresses to dial: manual ones when present, else the peer's server addresses. */
export function addressesToDial(p: PeeringRecord): string[] {
  return p.ManualServerAddresses.length > 0 ? p.ManualServerAddresses : p.PeerServerAddresses;
}

/** Active = not terminated and not marked for deletion (spec §0). */
export function isActive(p: PeeringRecord): boolean {
  return p.State !== 'TERMINATED' && p.State !== 'DELETING' && !p.DeletedAt;
}
