// GET|POST /v1/discovery-chain/:service (compiled chain, blocking), PUT /v1/internal/service-virtual-ip
// (manual VIPs) and GET /v1/internal/virtual-ips (the transparent proxy's VIP table, an Isthmus extension).
import { createHash } from 'node:crypto';
import { invalid } from '../../lib/errors.js';
import type { ObjectSchema } from '../../lib/json-decode.js';
import { parseGoDuration } from '../../lib/duration.js';
import type { ConfigEntryReader } from '../config-entries/service.js';
import { configTopics } from '../config-entries/service.js';
import { blockingRead, rendered, type BlockingReader } from '../http/blocking.js';
import { aclFilter, decodeBody, type Handler, type HttpRequest, type HttpResult } from '../http/request.js';
import { isIp } from '../virtual-ips/alloc.js';
import { VIP_TOPIC, type VirtualIpService } from '../virtual-ips/service.js';
import { compileChain, type EntryLookup } from './compile.js';

const OVERRIDE_SCHEMA: ObjectSchema = {
  name: 'discoveryChainReadRequest',
  fields: { OverrideMeshGateway: { name: 'MeshGatewayConfig', fields: { Mode: 'string' } }, OverrideProtocol: 'string', OverrideConnectTimeout: 'string' },
};
const MANUAL_SCHEMA: ObjectSchema = { name: 'AssignServiceManualVIPsRequest', fields: { Service: 'string', ManualVIPs: { array: 'string' } } };

export const CHAIN_TOPICS = ['service-defaults', 'proxy-defaults', 'service-router', 'service-splitter', 'service-resolver'].map((k) => configTopics.kind(k)).concat([VIP_TOPIC]);

export interface ChainHttpDeps {
  entries: ConfigEntryReader;
  vips: VirtualIpService;
  blocking: BlockingReader;
  datacenter: string;
  trustDomain: () => string;
}

export function entryLookup(entries: ConfigEntryReader): EntryLookup {
  return (kind, name) => entries.get(kind, name)?.entry;
}

export function chainHandlers(deps: ChainHttpDeps): Record<string, Handler> {
  const compile = (req: HttpRequest, overrides: { protocol?: string; timeoutMs?: number; mode?: string; hash?: string }): Promise<HttpResult> => {
    const service = req.params.service ?? '';
    if (service === '') throw invalid('Missing chain name');
    // Compile once before blocking so an invalid chain answers at once.
    const run = (): unknown => ({
      Chain: compileChain({
        service,
        datacenter: deps.datacenter,
        trustDomain: deps.trustDomain(),
        entries: entryLookup(deps.entries),
        autoVirtualIps: deps.vips.vip('', service) ? [deps.vips.vip('', service) as string] : null,
        manualVirtualIps: deps.vips.manualVips('', service),
        ...(overrides.protocol ? { overrideProtocol: overrides.protocol } : {}),
        ...(overrides.timeoutMs !== undefined ? { overrideConnectTimeoutMs: overrides.timeoutMs } : {}),
        ...(overrides.mode ? { overrideMeshGatewayMode: overrides.mode } : {}),
        ...(overrides.hash ? { customizationHash: overrides.hash } : {}),
      }),
    });
    run();
    return blockingRead(deps.blocking, req, CHAIN_TOPICS, run);
  };
  return {
    async chainMissing() {
      throw invalid('Missing chain name');
    },

    async chainGet(req) {
      return compile(req, {});
    },

    async chainPost(req) {
      const b = req.body.trim() === '' ? {} : decodeBody<{ OverrideMeshGateway?: { Mode?: string }; OverrideProtocol?: string; OverrideConnectTimeout?: string }>(req, OVERRIDE_SCHEMA, 'Request decoding failed');
      const mode = b.OverrideMeshGateway?.Mode ?? '';
      if (!['', 'none', 'local', 'remote'].includes(mode)) throw invalid('Invalid OverrideMeshGateway.Mode parameter');
      let timeoutMs: number | undefined;
      if (b.OverrideConnectTimeout) {
        timeoutMs = parseGoDuration(b.OverrideConnectTimeout);
        if (timeoutMs === undefined) throw invalid(`Request decoding failed: time: invalid duration "${b.OverrideConnectTimeout}"`);
      }
      const any = mode !== '' || !!b.OverrideProtocol || timeoutMs !== undefined;
      const hash = any ? createHash('sha256').update(JSON.stringify([mode, b.OverrideProtocol ?? '', timeoutMs ?? 0])).digest('hex').slice(0, 8) : undefined;
      return compile(req, {
        ...(b.OverrideProtocol ? { protocol: b.OverrideProtocol } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(mode ? { mode } : {}),
        ...(hash ? { hash } : {}),
      });
    },

    async manualVips(req) {
      const b = decodeBody<{ Service?: string; ManualVIPs?: string[] }>(req, MANUAL_SCHEMA, 'Request decoding failed');
      if (!b.Service) throw invalid('Must specify a service name');
      for (const ip of b.ManualVIPs ?? []) if (!isIp(ip)) throw invalid(`"${ip}" is not a valid IP address`);
      return { json: await deps.vips.setManual(b.Service, b.ManualVIPs ?? []) };
    },

    async virtualIps(req) {
      return blockingRead(deps.blocking, req, [VIP_TOPIC], () => {
        const all = deps.vips.all().map((v) => ({ Service: v.service, Peer: v.peer, VirtualIP: v.vip, ManualVIPs: v.manual }));
        const { items, filtered } = aclFilter(req, all, (v) => (v.Peer ? req.authz.serviceWriteAny() || req.authz.readAll('service') : req.authz.allowed('service', 'read', v.Service)));
        return rendered(items, filtered);
      });
    },
  };
}
