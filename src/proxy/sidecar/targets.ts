// Resolves discovery-chain targets to endpoints: local targets (subset filters over the fronted
// instances) and peer targets (the imported synthetic proxies = the exporter's gateways, or a local
// gateway in "local" mode), with failover to the next target when one has no healthy endpoint.
import type { Logger } from '../../lib/log.js';
import { compileFilter } from '../../lib/filter.js';
import type { IsthmusClient } from '../../sdk/client.js';
import type { ChainTargetView, ChainView } from '../l7/route.js';
import { TtlCache } from '../pipe.js';
import type { Endpoint, Material } from './types.js';

export const CHAIN_TTL_MS = 1_000;

export class TargetResolver {
  readonly #client: IsthmusClient;
  readonly #material: () => Material;
  readonly #log: Logger;
  readonly #chains = new TtlCache<ChainView>(CHAIN_TTL_MS);
  readonly #endpoints = new TtlCache<Endpoint[]>(CHAIN_TTL_MS);
  readonly #gatewayMode = new TtlCache<string>(CHAIN_TTL_MS);

  constructor(deps: { client: IsthmusClient; material: () => Material; log: Logger }) {
    this.#client = deps.client;
    this.#material = deps.material;
    this.#log = deps.log;
  }

  chain(service: string): Promise<ChainView> {
    return this.#chains.get(service, async () => (await this.#client.discoveryChain<ChainView>(service)).Chain);
  }

  /** A random healthy endpoint of the first target (in order) that has one. */
  async pick(chain: ChainView, targetIds: string[]): Promise<Endpoint> {
    const reasons: string[] = [];
    for (const id of targetIds) {
      const t = chain.Targets[id];
      if (!t) continue;
      try {
        const eps = await this.#endpoints.get(id, () => this.#resolve(t));
        const ep = eps[Math.floor(Math.random() * eps.length)];
        if (ep) return ep;
        reasons.push(`${id}: no healthy endpoints`);
      } catch (err) {
        reasons.push(`${id}: ${(err as Error).message}`);
      }
    }
    throw new Error(`no healthy upstream (${reasons.join('; ') || 'no targets'})`);
  }

  async #modeOf(t: ChainTargetView): Promise<string> {
    if (t.MeshGateway.Mode) return t.MeshGateway.Mode;
    return this.#gatewayMode.get('global', async () => {
      const pd = await this.#client.configReadOptional('proxy-defaults', 'global');
      return (pd?.MeshGateway as { Mode?: string } | undefined)?.Mode || 'remote';
    });
  }

  async #resolve(t: ChainTargetView): Promise<Endpoint[]> {
    const m = this.#material();
    if (t.Peer) {
      const bundle = m.bundles.find((b) => b.PeerName === t.Peer);
      if (!bundle) throw new Error(`no trust bundle from peer "${t.Peer}" yet`);
      const remote = (await this.#client.healthConnect(t.Service, { peer: t.Peer, passing: true })).filter((e) => e.Service.Connect?.PeerMeta);
      if (remote.length === 0) return [];
      let via: { host: string; port: number } | undefined;
      if ((await this.#modeOf(t)) === 'local') {
        const gw = (await this.#client.healthService('mesh-gateway', { passing: true })).find((e) => e.Service.Kind === 'mesh-gateway');
        if (!gw) throw new Error('mesh gateway mode "local" needs a local mesh gateway, and none is registered');
        const lan = gw.Service.TaggedAddresses?.lan;
        via = { host: lan?.Address || gw.Service.Address || gw.Node.Address, port: lan?.Port || gw.Service.Port || 0 };
      }
      return remote.map((e) => {
        const meta = e.Service.Connect?.PeerMeta as { SNI: string[]; SpiffeID: string[] };
        return { host: via?.host ?? (e.Service.Address || e.Node.Address), port: via?.port ?? e.Service.Port ?? 0, sni: meta.SNI[0] as string, spiffe: meta.SpiffeID, ca: bundle.RootPEMs };
      });
    }
    let proxies = await this.#client.healthConnect(t.Service, { passing: true });
    if (t.Subset.Filter) {
      const keep = compileFilter(t.Subset.Filter);
      const instances = (await this.#client.healthService(t.Service, { passing: t.Subset.OnlyPassing === true })).filter((e) => keep(e));
      const ids = new Set(instances.map((e) => `${e.Node.Node}\0${e.Service.ID}`));
      proxies = proxies.filter((p) => ids.has(`${p.Node.Node}\0${p.Service.Proxy?.DestinationServiceID ?? p.Service.ID}`));
    }
    const dc = t.Datacenter || m.datacenter;
    this.#log.debug('resolved target', { target: t.ID, endpoints: proxies.length });
    return proxies.map((p) => ({
      host: p.Service.Address || p.Node.Address,
      port: p.Service.Port ?? 0,
      sni: t.SNI || `${t.Service}.default.${dc}.internal.${m.trustDomain}`,
      spiffe: [`spiffe://${m.trustDomain}/ns/default/dc/${dc}/svc/${t.Service}`],
      ca: m.localRoots,
    }));
  }
}
