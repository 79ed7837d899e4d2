// Pure routing through a compiled discovery chain (GET /v1/discovery-chain): router → splitter →
// resolver, to the target a request goes to, plus the rewrites its route asks for.
import { httpMatches, type HttpMatch, type HttpRequestView } from './match.js';

export interface ChainTargetView {
  ID: string;
  Service: string;
  ServiceSubset?: string;
  Peer?: string;
  Datacenter: string;
  MeshGateway: { Mode?: string };
  Subset: { Filter?: string; OnlyPassing?: boolean };
  SNI: string;
}

interface HeaderModifiers {
  Add?: Record<string, string>;
  Set?: Record<string, string>;
  Remove?: string[];
}

export interface ChainView {
  ServiceName: string;
  Protocol: string;
  StartNode: string;
  Nodes: Record<
    string,
    {
      Type: 'router' | 'splitter' | 'resolver';
      Name: string;
      Routes?: { Definition: { Match?: { HTTP?: HttpMatch }; Destination?: { PrefixRewrite?: string; RequestHeaders?: HeaderModifiers; ResponseHeaders?: HeaderModifiers } }; NextNode: string }[];
      Splits?: { Weight: number; NextNode: string; Definition?: { RequestHeaders?: HeaderModifiers; ResponseHeaders?: HeaderModifiers } }[];
      Resolver?: { Target: string; Failover?: { Targets: string[] } };
    }
  >;
  Targets: Record<string, ChainTargetView>;
  AutoVirtualIPs?: string[] | null;
  ManualVirtualIPs?: string[] | null;
}

export interface RouteDecision {
  /** Target IDs in the order to try: the resolver's target, then its failover targets. */
  targets: string[];
  /** New path when the matched route has a PrefixRewrite. */
  path?: string;
  requestHeaders: HeaderModifiers[];
  responseHeaders: HeaderModifiers[];
}

export const HTTP_PROTOCOLS = new Set(['http', 'http2', 'grpc']);

/**
 * Walks the chain for one request. `random` is in [0, 1) and picks a split by weight (0.01 %
 * resolution). Returns undefined when no route matches (cannot happen with the catch-all route).
 */
export function routeRequest(chain: ChainView, req: HttpRequestView, random: () => number = Math.random): RouteDecision | undefined {
  let nodeName = chain.StartNode;
  const out: RouteDecision = { targets: [], requestHeaders: [], responseHeaders: [] };
  for (let hops = 0; hops < 32; hops++) {
    const node = chain.Nodes[nodeName];
    if (!node) return undefined;
    if (node.Type === 'router') {
      const route = (node.Routes ?? []).find((r) => httpMatches(r.Definition.Match?.HTTP, req));
      if (!route) return undefined;
      const d = route.Definition.Destination;
      if (d?.PrefixRewrite) {
        const m = route.Definition.Match?.HTTP;
        const prefix = m?.PathExact ?? m?.PathPrefix ?? '';
        out.path = d.PrefixRewrite + req.path.slice(prefix.length);
      }
      if (d?.RequestHeaders) out.requestHeaders.push(d.RequestHeaders);
      if (d?.ResponseHeaders) out.responseHeaders.push(d.ResponseHeaders);
      nodeName = route.NextNode;
    } else if (node.Type === 'splitter') {
      const splits = node.Splits ?? [];
      let roll = Math.floor(random() * 10_000);
      let pick = splits[splits.length - 1];
      for (const s of splits) {
        roll -= Math.round(s.Weight * 100);
        if (roll < 0) {
          pick = s;
          break;
        }
      }
      if (!pick) return undefined;
      if (pick.Definition?.RequestHeaders) out.requestHeaders.push(pick.Definition.RequestHeaders);
      if (pick.Definition?.ResponseHeaders) out.responseHeaders.push(pick.Definition.ResponseHeaders);
      nodeName = pick.NextNode;
    } else {
      const r = node.Resolver;
      if (!r) return undefined;
      out.targets = [r.Target, ...(r.Failover?.Targets ?? [])];
      return out;
    }
  }
  return undefined;
}

/** The targets a plain TCP connection goes to: the start resolver's target and its failovers. */
export function tcpTargets(chain: ChainView): string[] {
  const node = chain.Nodes[chain.StartNode];
  if (node?.Type !== 'resolver' || !node.Resolver) return [];
  return [node.Resolver.Target, ...(node.Resolver.Failover?.Targets ?? [])];
}

/** Applies header modifiers (Add appends, Set replaces, Remove deletes) to a header map in place. */
export function applyHeaderModifiers(headers: Record<string, string | string[] | undefined>, mods: HeaderModifiers[]): void {
  for (const m of mods) {
    for (const [k, v] of Object.entries(m.Add ?? {})) {
      const key = k.toLowerCase();
      const cur = headers[key];
      headers[key] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
    }
    for (const [k, v] of Object.entries(m.Set ?? {})) headers[k.toLowerCase()] = v;
    for (const k of m.Remove ?? []) delete headers[k.toLowerCase()];
  }
}
