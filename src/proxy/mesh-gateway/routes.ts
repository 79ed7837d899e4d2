// Pure SNI routing decisions of a mesh gateway (spec §10).

export type GatewayRoute =
  | { kind: 'exported'; service: string; peer: string }
  | { kind: 'remote'; sni: string }
  | { kind: 'server'; datacenter: string }
  | { kind: 'remote-server'; sni: string }
  | { kind: 'unknown' };

const PEERED = /^([^.]+)\.([^.]+)\.([^.]+)\.([^.]+)\.external\.(.+)$/;
const SERVER = /^server\.([^.]+)\.peering\.(.+)$/;

/**
 * `<svc>.<ns>.<partition>.<peer>.external.<td>` in our trust domain → an exported service's local
 * sidecars; in another trust domain → a remote gateway (local mode); `server.<dc>.peering.<td>` of
 * ours → our servers, of a peer → that peer's server addresses (peering through gateways, §10.3);
 * anything else is refused.
 */
export function routeSni(sni: string, localTrustDomain: string): GatewayRoute {
  const td = localTrustDomain.toLowerCase();
  const m = PEERED.exec(sni);
  if (m) {
    const [, service, ns, partition, peer, sniTd] = m as unknown as [string, string, string, string, string, string];
    if (ns !== 'default' || partition !== 'default') return { kind: 'unknown' };
    return sniTd === td ? { kind: 'exported', service, peer } : { kind: 'remote', sni };
  }
  const s = SERVER.exec(sni);
  if (s) return s[2] === td ? { kind: 'server', datacenter: s[1] as string } : { kind: 'remote-server', sni };
  return { kind: 'unknown' };
}
