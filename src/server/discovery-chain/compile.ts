// Pure discovery-chain compilation (dataplane-l7-auth.md §3, §4): router → splitter → resolver nodes
// and their targets, from the config entries of a service, in Consul's JSON shape.
import { IsthmusError } from '../../lib/errors.js';
import { formatGoDuration } from '../../lib/duration.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

export const HTTP_LIKE = new Set(['http', 'http2', 'grpc']);
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** The config entries a compilation reads (kind, name) → entry. */
export type EntryLookup = (kind: 'service-defaults' | 'proxy-defaults' | 'service-router' | 'service-splitter' | 'service-resolver', name: string) => Obj | undefined;

export interface CompileRequest {
  service: string;
  datacenter: string;
  trustDomain: string;
  entries: EntryLookup;
  autoVirtualIps?: string[] | null;
  manualVirtualIps?: string[] | null;
  overrideProtocol?: string;
  overrideConnectTimeoutMs?: number;
  overrideMeshGatewayMode?: string;
  customizationHash?: string;
}

export interface ChainTarget {
  ID: string;
  Service: string;
  ServiceSubset?: string;
  Namespace: string;
  Partition: string;
  Datacenter: string;
  Peer?: string;
  MeshGateway: { Mode?: string };
  Subset: { Filter?: string; OnlyPassing?: boolean };
  TransparentProxy: { DialedDirectly?: boolean };
  ConnectTimeout: string;
  SNI: string;
  Name: string;
}

export interface ChainNode {
  Type: 'router' | 'splitter' | 'resolver';
  Name: string;
  Routes?: { Definition: Obj; NextNode: string }[];
  Splits?: { Definition: Obj; Weight: number; NextNode: string }[];
  Resolver?: { Default: boolean; ConnectTimeout: string; Target: string; Failover?: { Targets: string[] } };
}

export interface CompiledChain {
  ServiceName: string;
  Namespace: string;
  Partition: string;
  Datacenter: string;
  CustomizationHash?: string;
  Default?: boolean;
  Protocol: string;
  StartNode: string;
  Nodes: Record<string, ChainNode>;
  Targets: Record<string, ChainTarget>;
  AutoVirtualIPs: string[] | null;
  ManualVirtualIPs: string[] | null;
}

export function chainError(message: string): IsthmusError {
  // Consul answers these with a 500 carrying the text (spec §3).
  return new IsthmusError('FAILED_PRECONDITION', message, { httpStatus: 500 });
}

/** A chain's protocol: service-defaults, else proxy-defaults `Config.protocol`, else tcp (lower-cased). */
export function protocolOf(entries: EntryLookup, service: string): string {
  const sd = str(entries('service-defaults', service)?.Protocol);
  if (sd) return sd.toLowerCase();
  const pd = (entries('proxy-defaults', 'global')?.Config as Obj | undefined)?.protocol;
  return (str(pd) || 'tcp').toLowerCase();
}

const nodeSuffix = '.default.default';

export function compileChain(req: CompileRequest): CompiledChain {
  const { entries, service, datacenter: dc } = req;
  const td = req.trustDomain.toLowerCase();
  const protocol = (req.overrideProtocol || protocolOf(entries, service)).toLowerCase();
  const http = HTTP_LIKE.has(protocol);
  const nodes: Record<string, ChainNode> = {};
  const targets: Record<string, ChainTarget> = {};
  let usedRouting = false;

  const meshGatewayMode = (svc: string): string => {
    if (req.overrideMeshGatewayMode) return req.overrideMeshGatewayMode;
    return str((entries('service-defaults', svc)?.MeshGateway as Obj | undefined)?.Mode) || str((entries('proxy-defaults', 'global')?.MeshGateway as Obj | undefined)?.Mode);
  };
  const dialedDirectly = (svc: string): boolean => (entries('service-defaults', svc)?.TransparentProxy as Obj | undefined)?.DialedDirectly === true;
  const timeoutOf = (svc: string): string => {
    if (req.overrideConnectTimeoutMs !== undefined) return formatGoDuration(req.overrideConnectTimeoutMs);
    const t = entries('service-resolver', svc)?.ConnectTimeout;
    return formatGoDuration(typeof t === 'number' && t > 0 ? t : DEFAULT_CONNECT_TIMEOUT_MS);
  };
  const checkProtocol = (svc: string): void => {
    if (!http || req.overrideProtocol) return;
    const p = protocolOf(entries, svc);
    if (p !== protocol) throw chainError(`discovery chain "${service}" uses inconsistent protocols; service "${svc}" has "${p}" which is not "${protocol}"`);
  };

  const addTarget = (t: ChainTarget): string => {
    targets[t.ID] = t;
    return t.ID;
  };
  const localTarget = (svc: string, subset: string, datacenter = dc): string => {
    const def = subset ? ((entries('service-resolver', svc)?.Subsets as Record<string, Obj> | undefined)?.[subset] ?? {}) : {};
    const pre = subset ? `${subset}.` : '';
    const sni = `${pre}${svc}.default.${datacenter}.internal.${td}`;
    const mode = meshGatewayMode(svc);
    return addTarget({
      ID: `${pre}${svc}.default.default.${datacenter}`,
      Service: svc,
      ...(subset ? { ServiceSubset: subset } : {}),
      Namespace: 'default',
      Partition: 'default',
      Datacenter: datacenter,
      MeshGateway: mode ? { Mode: mode } : {},
      Subset: { ...(str(def.Filter) ? { Filter: str(def.Filter) } : {}), ...(def.OnlyPassing === true ? { OnlyPassing: true } : {}) },
      TransparentProxy: dialedDirectly(svc) ? { DialedDirectly: true } : {},
      ConnectTimeout: timeoutOf(svc),
      SNI: sni,
      Name: sni,
    });
  };
  // Peer targets: datacenter cleared, local partition, namespace default; the SNI comes from the imported PeerMeta.
  const peerTarget = (svc: string, peer: string, timeoutFrom: string): string => {
    const mode = meshGatewayMode(timeoutFrom);
    return addTarget({
      ID: `${svc}.default.default.external.${peer}`,
      Service: svc,
      Namespace: 'default',
      Partition: 'default',
      Datacenter: '',
      Peer: peer,
      MeshGateway: mode ? { Mode: mode } : {},
      Subset: {},
      TransparentProxy: {},
      ConnectTimeout: timeoutOf(timeoutFrom),
      SNI: '',
      Name: '',
    });
  };

  const failoverTargets = (svc: string, f: Obj): string[] => {
    const ts = arr(f.Targets);
    if (ts.length > 0) {
      return ts.map((t) => (str(t.Peer) ? peerTarget(str(t.Service) || svc, str(t.Peer), svc) : localTarget(str(t.Service) || svc, str(t.ServiceSubset), str(t.Datacenter) || dc)));
    }
    const dcs = Array.isArray(f.Datacenters) ? (f.Datacenters as string[]) : [];
    if (dcs.length > 0) return dcs.map((d) => localTarget(str(f.Service) || svc, str(f.ServiceSubset), d));
    return [localTarget(str(f.Service) || svc, str(f.ServiceSubset))];
  };

  const resolverNode = (svc0: string, subset0: string): string => {
    let svc = svc0;
    let subset = subset0;
    const path = [svc];
    let redirectPeer: { svc: string; peer: string } | undefined;
    for (;;) {
      const r = entries('service-resolver', svc)?.Redirect as Obj | undefined;
      if (!r) break;
      if (str(r.Peer)) {
        redirectPeer = { svc: str(r.Service) || svc, peer: str(r.Peer) };
        break;
      }
      const next = str(r.Service) || svc;
      if (next === svc) {
        subset = str(r.ServiceSubset) || subset;
        break;
      }
      path.push(next);
      if (path.indexOf(next) !== path.length - 1) throw chainError(`detected circular resolver redirect: [${path.join(' -> ')}]`);
      checkProtocol(next);
      svc = next;
      subset = str(r.ServiceSubset);
    }
    const resolver = entries('service-resolver', svc);
    let id: string;
    let failover: string[] | undefined;
    if (redirectPeer) {
      id = peerTarget(redirectPeer.svc, redirectPeer.peer, svc);
    } else {
      subset = subset || str(resolver?.DefaultSubset);
      const subsets = (resolver?.Subsets as Record<string, Obj> | undefined) ?? {};
      if (subset && !(subset in subsets)) throw chainError(`service "${svc}" does not have a subset named "${subset}"`);
      id = localTarget(svc, subset);
      const fo = (resolver?.Failover as Record<string, Obj> | undefined) ?? {};
      const f = (subset && fo[subset]) || fo['*'];
      if (f) failover = failoverTargets(svc, f);
    }
    const name = `resolver:${id}`;
    nodes[name] = {
      Type: 'resolver',
      Name: id,
      Resolver: { Default: !resolver, ConnectTimeout: timeoutOf(svc), Target: id, ...(failover ? { Failover: { Targets: failover } } : {}) },
    };
    return name;
  };

  const flattenSplits = (svc: string, scale: number, seen: string[]): { Definition: Obj; Weight: number; NextNode: string }[] => {
    const splitter = entries('service-splitter', svc) as Obj;
    const out: { Definition: Obj; Weight: number; NextNode: string }[] = [];
    for (const s of arr(splitter.Splits)) {
      const w = ((typeof s.Weight === 'number' ? s.Weight : 0) * scale) / 100;
      const target = str(s.Service) || svc;
      checkProtocol(target);
      if (target !== svc && !str(s.ServiceSubset) && entries('service-splitter', target) && !seen.includes(target)) {
        out.push(...flattenSplits(target, w, [...seen, target]));
      } else {
        out.push({ Definition: { Weight: s.Weight, Service: target, ...(str(s.ServiceSubset) ? { ServiceSubset: str(s.ServiceSubset) } : {}), Namespace: 'default', Partition: 'default' }, Weight: Math.round(w * 100) / 100, NextNode: resolverNode(target, str(s.ServiceSubset)) });
      }
    }
    return out;
  };

  const nextFor = (svc: string, subset: string): string => {
    if (http && !subset && entries('service-splitter', svc)) {
      usedRouting = true;
      const name = `splitter:${svc}${nodeSuffix}`;
      if (!nodes[name]) nodes[name] = { Type: 'splitter', Name: `${svc}${nodeSuffix}`, Splits: flattenSplits(svc, 100, [svc]) };
      return name;
    }
    return resolverNode(svc, subset);
  };

  let start: string;
  const router = http ? entries('service-router', service) : undefined;
  if (router) {
    usedRouting = true;
    const routes: { Definition: Obj; NextNode: string }[] = arr(router.Routes).map((r) => {
      const d = (r.Destination as Obj | undefined) ?? {};
      const target = str(d.Service) || service;
      checkProtocol(target);
      const Definition = { ...r, Destination: { ...d, Service: target, Namespace: 'default', Partition: 'default' } };
      return { Definition, NextNode: nextFor(target, str(d.ServiceSubset)) };
    });
    routes.push({ Definition: { Match: { HTTP: { PathPrefix: '/' } }, Destination: { Service: service, Namespace: 'default', Partition: 'default' } }, NextNode: nextFor(service, '') });
    start = `router:${service}${nodeSuffix}`;
    nodes[start] = { Type: 'router', Name: `${service}${nodeSuffix}`, Routes: routes };
  } else {
    start = nextFor(service, '');
  }
  const startNode = nodes[start];
  const isDefault = !usedRouting && startNode?.Type === 'resolver' && startNode.Resolver?.Default === true;
  return {
    ServiceName: service,
    Namespace: 'default',
    Partition: 'default',
    Datacenter: dc,
    ...(req.customizationHash ? { CustomizationHash: req.customizationHash } : {}),
    ...(isDefault ? { Default: true } : {}),
    Protocol: protocol,
    StartNode: start,
    Nodes: nodes,
    Targets: targets,
    AutoVirtualIPs: req.autoVirtualIps && req.autoVirtualIps.length > 0 ? req.autoVirtualIps : null,
    ManualVirtualIPs: req.manualVirtualIps && req.manualVirtualIps.length > 0 ? req.manualVirtualIps : null,
  };
}

/**
 * Write-time checks across entries (§3): a router or splitter needs an HTTP-like chain, and a
 * service-defaults change may not turn such a chain into tcp. `entries` already reflects the write.
 */
export function checkChainWrite(entries: EntryLookup, kind: string, name: string, allNames: () => string[]): void {
  const mustBeHttp = (svc: string): void => {
    if ((entries('service-router', svc) || entries('service-splitter', svc)) && !HTTP_LIKE.has(protocolOf(entries, svc))) {
      throw chainError(`discovery chain "${svc}" uses a protocol "${protocolOf(entries, svc)}" that does not permit advanced routing or splitting behavior`);
    }
  };
  if (kind === 'service-router' || kind === 'service-splitter') {
    mustBeHttp(name);
    compileChain({ service: name, datacenter: 'dc', trustDomain: 'td', entries });
    return;
  }
  if (kind === 'service-defaults' || kind === 'proxy-defaults') {
    const names = kind === 'proxy-defaults' ? allNames() : allNames().filter((n) => n === name || chainTouches(entries, n, name));
    for (const n of names) {
      mustBeHttp(n);
      if (entries('service-router', n) || entries('service-splitter', n)) compileChain({ service: n, datacenter: 'dc', trustDomain: 'td', entries });
    }
  }
}

/** Does the chain of `chain` name service `svc` anywhere (router/splitter destinations)? */
function chainTouches(entries: EntryLookup, chain: string, svc: string): boolean {
  const router = entries('service-router', chain);
  if (arr(router?.Routes).some((r) => str((r.Destination as Obj | undefined)?.Service) === svc)) return true;
  const splitter = entries('service-splitter', chain);
  return arr(splitter?.Splits).some((s) => str(s.Service) === svc);
}
