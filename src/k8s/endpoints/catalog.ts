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

/** The `pod` login meta a token's description carries (`token created via login: {"pod":"<ns>/<pod>"}`). */
export function tokenPod(description: string | undefined): string | undefined {
  const m = /^token created via login: (\{.*\})$/s.exec(description ?? '');
  if (!m) return undefined;
  try {
    const meta = JSON.parse(m[1] as string) as Record<string, unknown>;
    return typeof meta.pod === 'string' ? meta.pod : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deletes the login tokens of pods that are gone: tokens made by an auth method whose first service identity
 * is `service` and whose login meta names `<ns>/<pod>`. Answers how many were deleted. Never logs secrets:
 * only accessor IDs leave this function.
 */
export async function deleteLoginTokens(client: IsthmusClient, gone: { service: string; pod: string }[], authMethod?: string): Promise<string[]> {
  if (gone.length === 0) return [];
  const tokens = await client.request<TokenListEntry[]>('GET', '/v1/acl/tokens', authMethod ? { query: { authmethod: authMethod } } : {});
  const deleted: string[] = [];
  for (const t of tokens) {
    if (!t.AuthMethod || (authMethod && t.AuthMethod !== authMethod)) continue;
    const pod = tokenPod(t.Description);
    const svc = t.ServiceIdentities?.[0]?.ServiceName;
    if (!pod || !gone.some((g) => g.pod === pod && g.service === svc)) continue;
    try {
      await client.request('DELETE', `/v1/acl/token/${encodeURIComponent(t.AccessorID)}`);
      deleted.push(t.AccessorID);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  return deleted;
}
