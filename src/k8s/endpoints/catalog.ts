// What the endpoints controller reads from and writes to the server, through the SDK client: the instances it
// holds on synthetic nodes, catalog register/deregister, manual virtual IPs, and the login tokens of pods gone.
import { ApiError, type IsthmusClient } from '../../sdk/client.js';
import type { HeldInstance } from './diff.js';
import { MANAGED_BY, META, type Registration } from './types.js';

interface NodeServices {
  Node: { Node: string };
  Services: HeldInstance['Service'][];
}

/** Every instance this controller manages, on every synthetic node (optionally one k8s namespace only). */
export async function heldInstances(client: IsthmusClient, namespace?: string): Promise<HeldInstance[]> {
  const nodes = await client.catalogNodes({ 'node-meta': [`${META.syntheticNode}:true`] });
  const out: HeldInstance[] = [];
  for (const n of nodes) {
    const ns = await client.request<NodeServices | null>('GET', `/v1/catalog/node-services/${encodeURIComponent(n.Node)}`);
    const mine = (ns?.Services ?? []).filter((s) => s.Meta?.[META.managedBy] === MANAGED_BY && (namespace === undefined || s.Meta?.[META.k8sNamespace] === namespace));
    if (mine.length === 0) continue;
    const checks = await client.request<HeldInstance['Checks'] | null>('GET', `/v1/health/node/${encodeURIComponent(n.Node)}`);
    for (const s of mine) out.push({ Node: n.Node, Service: s, Checks: (checks ?? []).filter((c) => c.ServiceID === s.ID) });
  }
  return out;
}

export async function register(client: IsthmusClient, reg: Registration): Promise<void> {
  await client.request('PUT', '/v1/catalog/register', { body: reg });
}

export async function deregister(client: IsthmusClient, d: { Node: string; ServiceID: string }): Promise<void> {
  await client.request('PUT', '/v1/catalog/deregister', { body: d });
}

/** `PUT /v1/internal/service-virtual-ip`; a 404 means a server too old for manual VIPs (consul-k8s's wording). */
export async function setVirtualIps(client: IsthmusClient, v: { Service: string; ManualVIPs: string[] }): Promise<void> {
  try {
    await client.request('PUT', '/v1/internal/service-virtual-ip', { body: v });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new Error(`failed to add ip for service ${v.Service} to virtual ip table. Please upgrade Consul to version 1.16 or higher`);
    throw err;
  }
}

interface TokenListEntry {
  AccessorID: string;
  Description?: string;
  AuthMethod?: string;
  ServiceIdentities?: { ServiceName: string }[] | null;
}

/** The login meta a token's description carries (`token created via login: {"pod":"<ns>/<pod>",...}`). */
export function tokenMeta(description: string | undefined): Record<string, string> | undefined {
  const m = /(\{.+\})\s*$/s.exec(description ?? '');
  if (!m) return undefined;
  try {
    const meta = JSON.parse(m[1] as string) as unknown;
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
    return Object.fromEntries(Object.entries(meta).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/**
 * Deletes the login tokens of pod instances that went: tokens made by `authMethod` with exactly one service
 * identity, the instance's service, whose login meta names the pod (`<ns>/<pod>`, and its uid when the meta
 * has one). Answers the accessor IDs deleted; secrets never leave this function.
 */
export async function deleteLoginTokens(client: IsthmusClient, authMethod: string, gone: { service: string; namespace: string; pod: string; podUid: string }[]): Promise<string[]> {
  if (gone.length === 0) return [];
  const tokens = await client.request<TokenListEntry[]>('GET', '/v1/acl/tokens', { query: { authmethod: authMethod } });
  const deleted: string[] = [];
  for (const t of tokens) {
    if (t.AuthMethod !== authMethod || t.ServiceIdentities?.length !== 1) continue;
    const meta = tokenMeta(t.Description);
    if (!meta?.pod) continue;
    const svc = t.ServiceIdentities[0]?.ServiceName;
    const match = gone.some((g) => g.service === svc && meta.pod === `${g.namespace}/${g.pod}` && (!meta['pod-uid'] || meta['pod-uid'] === g.podUid));
    if (!match) continue;
    try {
      await client.request('DELETE', `/v1/acl/token/${encodeURIComponent(t.AccessorID)}`);
      deleted.push(t.AccessorID);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  return deleted;
}

/**
 * Deregisters a synthetic node left without services (consul-k8s removes its synthetic nodes once their last
 * instance goes; a service someone else registered there keeps the node).
 */
export async function deregisterEmptyNode(client: IsthmusClient, node: string): Promise<boolean> {
  const ns = await client.request<NodeServices | null>('GET', `/v1/catalog/node-services/${encodeURIComponent(node)}`);
  if (!ns || ns.Services.length > 0) return false;
  await client.request('PUT', '/v1/catalog/deregister', { body: { Node: node } });
  return true;
}
