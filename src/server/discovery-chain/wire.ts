// Wires virtual IPs and discovery chains into a server: VIP assignment on catalog and config-entry
// writes, cross-entry write checks, and the HTTP handlers. The composition root calls this once.
import type { IndexHub } from '../../lib/index-hub.js';
import { connectInstances } from '../catalog/connect.js';
import type { CatalogService } from '../catalog/service.js';
import type { ConfigKind } from '../config-entries/schema.js';
import type { ConfigEntryService } from '../config-entries/service.js';
import type { BlockingReader } from '../http/blocking.js';
import type { Handler } from '../http/request.js';
import { VirtualIpService } from '../virtual-ips/service.js';
import { checkChainWrite, chainError, HTTP_LIKE, protocolOf, type EntryLookup } from './compile.js';
import { chainHandlers } from './http.js';

/** Entries whose write gives a name a VIP (virtual services without instances). */
const ASSIGNING: ConfigKind[] = ['service-resolver', 'service-router', 'service-splitter'];
/** Entries that keep a name's VIP alive. */
const KEEPING: ConfigKind[] = [...ASSIGNING, 'service-defaults', 'service-intentions'];

export interface TrafficDeps {
  store: ConstructorParameters<typeof VirtualIpService>[0]['store'];
  hub: IndexHub;
  catalog: CatalogService;
  entries: ConfigEntryService;
  blocking: BlockingReader;
  datacenter: string;
  trustDomain: () => string;
}

/** L7 intentions need an HTTP-like destination (§5), checked on intention and defaults writes. */
function checkL7Intentions(lookup: EntryLookup & ((k: ConfigKind, n: string) => Record<string, unknown> | undefined), kind: ConfigKind, name: string, names: () => string[]): void {
  const check = (dest: string): void => {
    const e = lookup('service-intentions' as never, dest) as Record<string, unknown> | undefined;
    const sources = Array.isArray(e?.Sources) ? (e.Sources as Record<string, unknown>[]) : [];
    if (!sources.some((s) => Array.isArray(s.Permissions) && s.Permissions.length > 0)) return;
    const p = protocolOf(lookup, dest);
    if (!HTTP_LIKE.has(p)) throw chainError(`service "${dest}" has protocol "${p}", which is incompatible with L7 intentions permissions`);
  };
  if (kind === 'service-intentions' || kind === 'service-defaults') check(name);
  if (kind === 'proxy-defaults') for (const n of names()) check(n);
}

export async function wireTraffic(d: TrafficDeps): Promise<{ vips: VirtualIpService; handlers: Record<string, Handler> }> {
  const vips = new VirtualIpService({ store: d.store, hub: d.hub });
  await vips.load();
  vips.inUse = (peer, name) => connectInstances(d.catalog.reader, peer, name).length > 0 || (peer === '' && KEEPING.some((k) => d.entries.get(k, name)));
  d.catalog.virtualIps = vips;
  d.entries.onChange((kind, name) => {
    if (ASSIGNING.includes(kind) && d.entries.get(kind, name)) void vips.assign('', name);
    else if (KEEPING.includes(kind) && !d.entries.get(kind, name)) void vips.released('', [name]);
  });
  d.entries.guards.push((lookup, kind, name, names) => {
    const l = lookup as unknown as EntryLookup & ((k: ConfigKind, n: string) => Record<string, unknown> | undefined);
    checkChainWrite(l, kind, name, names);
    checkL7Intentions(l, kind, name, names);
  });
  return { vips, handlers: chainHandlers({ entries: d.entries, vips, blocking: d.blocking, datacenter: d.datacenter, trustDomain: d.trustDomain }) };
}
