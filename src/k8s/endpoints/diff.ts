// Desired registrations (plan.ts) against what the catalog holds for one k8s service → the writes to make.
// Pure. An instance counts as held for the k8s service by its meta (k8s-service-name, k8s-namespace,
// managed-by); those no longer desired are deregistered; desired ones are (re)registered only if they differ.
import { MANAGED_BY, META, type Registration } from './types.js';

/** One instance as the catalog holds it (node-services entry plus its checks from health/node). */
export interface HeldInstance {
  Node: string;
  Service: {
    ID: string;
    Service: string;
    Kind?: string;
    Address?: string;
    Port?: number;
    Tags?: string[] | null;
    Meta?: Record<string, string> | null;
    TaggedAddresses?: Record<string, unknown> | null;
    Proxy?: Record<string, unknown> | null;
    Locality?: unknown;
  };
  Checks: { CheckID: string; Name?: string; Type?: string; Status: string; Output?: string; ServiceID?: string }[];
}

export interface Diff {
  register: Registration[];
  deregister: { Node: string; ServiceID: string }[];
}

/** Does the catalog instance belong to this k8s service (and to this controller)? */
export function heldFor(i: HeldInstance, namespace: string, name: string): boolean {
  const m = i.Service.Meta ?? {};
  return m[META.managedBy] === MANAGED_BY && m[META.k8sNamespace] === namespace && m[META.k8sServiceName] === name;
}

/** Every key the desired value sets is the same in the held one (held values may carry server defaults). */
export function covers(held: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (Array.isArray(want)) return Array.isArray(held) && held.length === want.length && want.every((w, i) => covers(held[i], w));
  if (want !== null && typeof want === 'object') {
    if (held === null || typeof held !== 'object' || Array.isArray(held)) return false;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => covers((held as Record<string, unknown>)[k], v));
  }
  return held === want;
}

const empty = (v: unknown): boolean => v === undefined || v === null || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);
/** Proxy fields the controller manages: held but no longer wanted means a change. */
const MANAGED_PROXY_KEYS = ['LocalServicePort', 'Upstreams', 'Mode'];
/** Tagged addresses the server adds itself. */
const SERVER_TAGS = new Set(['consul-virtual']);

function sameService(held: HeldInstance['Service'], want: Registration['Service']): boolean {
  if ((held.Kind ?? '') !== (want.Kind ?? '') || held.Service !== want.Service || (held.Address ?? '') !== want.Address || (held.Port ?? 0) !== want.Port) return false;
  if (JSON.stringify(held.Tags ?? []) !== JSON.stringify(want.Tags)) return false;
  if (JSON.stringify(sortKeys(held.Meta ?? {})) !== JSON.stringify(sortKeys(want.Meta))) return false;
  const heldTags = Object.keys(held.TaggedAddresses ?? {}).filter((k) => !SERVER_TAGS.has(k));
  const wantTags = Object.keys(want.TaggedAddresses ?? {});
  if (heldTags.length !== wantTags.length || !covers(held.TaggedAddresses ?? {}, want.TaggedAddresses ?? {})) return false;
  if (!covers(held.Proxy ?? undefined, want.Proxy)) return false;
  for (const k of MANAGED_PROXY_KEYS) if (empty(want.Proxy?.[k]) && !empty(held.Proxy?.[k])) return false;
  if (want.Locality === undefined ? held.Locality !== undefined && held.Locality !== null : !covers(held.Locality, want.Locality)) return false;
  return true;
}

function sortKeys(m: Record<string, string>): [string, string][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function sameCheck(held: HeldInstance['Checks'], want: Registration['Check']): boolean {
  const c = held.find((x) => x.CheckID === want.CheckID);
  return !!c && c.Status === want.Status && (c.Output ?? '') === want.Output && c.Name === want.Name && (c.Type ?? '') === want.Type && (c.ServiceID ?? '') === want.ServiceID;
}

/**
 * `held` is every instance the catalog holds for this k8s service; `retained` service IDs are never
 * deregistered (pods that exist but could not be planned this time).
 */
export function diffRegistrations(desired: Registration[], held: HeldInstance[], retained: readonly string[] = []): Diff {
  const byKey = new Map(held.map((h) => [`${h.Node}\u0000${h.Service.ID}`, h]));
  const wanted = new Set<string>();
  const register: Registration[] = [];
  for (const r of desired) {
    const key = `${r.Node}\u0000${r.Service.ID}`;
    wanted.add(key);
    const h = byKey.get(key);
    if (!h || !sameService(h.Service, r.Service) || !sameCheck(h.Checks, r.Check)) register.push(r);
  }
  const keep = new Set(retained);
  const deregister = held.filter((h) => !wanted.has(`${h.Node}\u0000${h.Service.ID}`) && !keep.has(h.Service.ID)).map((h) => ({ Node: h.Node, ServiceID: h.Service.ID }));
  return { register, deregister };
}
