// Shapes shared by the sidecar's parts.

/** What the proxy holds from its agent: leaf, roots and peer bundles. */
export interface Material {
  /** Our datacenter, read from our own SPIFFE ID (no agent:read needed). */
  datacenter: string;
  certPem: string;
  keyPem: string;
  trustDomain: string;
  localRoots: string[];
  bundles: { PeerName: string; TrustDomain: string; RootPEMs: string[] }[];
}

/** Where an upstream connection goes, with the TLS name and identities to expect there. */
export interface Endpoint {
  host: string;
  port: number;
  sni: string;
  spiffe: string[];
  ca: string[];
}
