// SPIFFE IDs and TLS names of the mesh (spec §10.1, §11): pure string builders and a parser.

export function trustDomainOf(clusterId: string): string {
  return `${clusterId}.consul`;
}

export function serviceSpiffeId(td: string, dc: string, service: string, ns = 'default'): string {
  return `spiffe://${td}/ns/${ns}/dc/${dc}/svc/${service}`;
}

export function serverSpiffeId(td: string, dc: string): string {
  return `spiffe://${td}/agent/server/dc/${dc}`;
}

export function meshGatewaySpiffeId(td: string, dc: string): string {
  return `spiffe://${td}/gateway/mesh/dc/${dc}`;
}

/** The peering control-plane server name: token ServerName, server cert DNS SAN, gateway SNI route. */
export function peeringServerName(dc: string, td: string): string {
  return `server.${dc}.peering.${td}`;
}

export type ParsedSpiffeId =
  | { kind: 'service'; trustDomain: string; namespace: string; datacenter: string; service: string; partition?: string }
  | { kind: 'server'; trustDomain: string; datacenter: string }
  | { kind: 'mesh-gateway'; trustDomain: string; datacenter: string };

/** Parses the SPIFFE IDs the mesh issues; undefined for anything else. */
export function parseSpiffeId(uri: string): ParsedSpiffeId | undefined {
  const m = /^spiffe:\/\/([^/]+)(\/.*)$/.exec(uri);
  if (!m) return undefined;
  const td = (m[1] as string).toLowerCase();
  const path = m[2] as string;
  let x = /^(?:\/ap\/([^/]+))?\/ns\/([^/]+)\/dc\/([^/]+)\/svc\/([^/]+)$/.exec(path);
  if (x) {
    return { kind: 'service', trustDomain: td, namespace: x[2] as string, datacenter: x[3] as string, service: x[4] as string, ...(x[1] ? { partition: x[1] } : {}) };
  }
  x = /^\/agent\/server\/dc\/([^/]+)$/.exec(path);
  if (x) return { kind: 'server', trustDomain: td, datacenter: x[1] as string };
  x = /^(?:\/ap\/[^/]+)?\/gateway\/mesh\/dc\/([^/]+)$/.exec(path);
  if (x) return { kind: 'mesh-gateway', trustDomain: td, datacenter: x[1] as string };
  return undefined;
}
