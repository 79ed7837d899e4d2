// Connect endpoints the data plane uses: authorize a client certificate against intentions (peers
// included), the peers' trust bundles for a service, and the connect-capable instances of a service.
import { invalid } from '../../lib/errors.js';
import type { ObjectSchema } from '../../lib/json-decode.js';
import { enforce } from '../acl/errors.js';
import { parseSpiffeId } from '../ca/spiffe.js';
import type { CaService } from '../ca/service.js';
import { keyspaceOf, passingFlag } from '../catalog/http.js';
import { connectInstances, isConnectNative, isProxyFor, serviceSummary } from '../catalog/connect.js';
import { topics } from '../catalog/keys.js';
import { renderHealthEntry, renderServiceNode } from '../catalog/render.js';
import type { CatalogReader } from '../catalog/state.js';
import { blockingRead, type BlockingReader } from '../http/blocking.js';
import type { Handler } from '../http/request.js';
import { decodeBody, queryOne, requireParam } from '../http/request.js';
import { decide } from '../intentions/match.js';
import type { IntentionService } from '../intentions/service.js';
import type { PeeringService } from '../peering/service.js';

const AUTHORIZE_SCHEMA: ObjectSchema = { name: 'ConnectAuthorizeRequest', fields: { Target: 'string', ClientCertURI: 'string', ClientCertSerial: 'string', Namespace: 'string' } };

export interface ConnectHttpDeps {
  ca: CaService;
  intentions: IntentionService;
  peering: PeeringService;
  catalog: CatalogReader;
  blocking: BlockingReader;
  defaultAllow: () => boolean;
}

export function connectHandlers(deps: ConnectHttpDeps): Record<string, Handler> {
  return {
    /** Consul's /v1/agent/connect/authorize, extended to callers from peers (by trust domain). */
    async authorize(req) {
      const b = decodeBody<{ Target?: string; ClientCertURI?: string }>(req, AUTHORIZE_SCHEMA);
      if (!b.Target) throw invalid('Target service must be specified');
      if (!b.ClientCertURI) throw invalid('Client cert URI must be specified');
      enforce(req.authz, 'service', 'write', b.Target);
      const id = parseSpiffeId(b.ClientCertURI);
      if (!id || id.kind !== 'service') return { json: { Authorized: false, Reason: `Client certificate URI is not a service identity: ${b.ClientCertURI}` } };
      let peer: string | undefined;
      if (id.trustDomain !== deps.ca.trustDomain.toLowerCase()) {
        peer = deps.peering.trustBundles().find((t) => t.value.TrustDomain.toLowerCase() === id.trustDomain)?.value.PeerName;
        if (!peer) return { json: { Authorized: false, Reason: `Client certificate is from an unknown trust domain: ${id.trustDomain}` } };
      }
      const src = { name: id.service, ...(peer ? { peer } : {}) };
      const index = deps.intentions.index();
      const hit = index.decidingIntention(src, b.Target);
      const allowed = decide(index, src, b.Target, { defaultAllow: deps.defaultAllow(), peersFollowDefault: false });
      const who = peer ? `peer "${peer}" service "${id.service}"` : `"${id.service}"`;
      const Reason = hit ? `Matched L4 intention: ${who} => "${b.Target}" (${hit.Action || 'L7'})` : peer ? 'No intention matched; calls from peers are denied by default' : 'Default behavior configured by ACLs';
      // L7 intentions: the proxy needs the permissions to decide per request (an Isthmus extension;
      // Authorized stays false as for Consul, since no request is available here).
      const l7 = hit && !hit.Action && hit.Permissions.length > 0 ? { Permissions: hit.Permissions, DefaultAllow: peer ? false : deps.defaultAllow() } : {};
      return { json: { Authorized: allowed, Reason, ...l7 } };
    },

    /** The trust bundles of every peer (what a proxy needs to verify peered clients and servers). */
    async trustBundles(req) {
      const service = queryOne(req.query, 'service');
      if (!service) throw invalid('Missing service name');
      enforce(req.authz, 'service', 'write', service);
      return blockingRead(deps.blocking, req, ['peering|bundles', 'ca|roots'], () =>
        deps.peering.trustBundles().map((t) => ({ PeerName: t.value.PeerName, TrustDomain: t.value.TrustDomain, RootPEMs: t.value.RootPEMs, ExportedPartition: t.value.ExportedPartition, CreateIndex: t.createIndex, ModifyIndex: t.modifyIndex })),
      );
    },

    /** /v1/catalog/connect/:service — connect-capable instances in the flat ServiceNode shape. */
    async catalogConnect(req) {
      const name = requireParam(req, 'name', 'service name');
      const ks = keyspaceOf(req);
      const proxy = `${name}-sidecar-proxy`;
      return blockingRead(deps.blocking, req, [topics.service(ks, proxy), topics.service(ks, name)], () =>
        connectInstances(deps.catalog, ks, name).map((i) => renderServiceNode(i.node, i.service)),
      );
    },

    /** /v1/internal/ui/services — per-service summaries (the UI's list; ?peer= for imported ones). */
    async uiServices(req) {
      const ks = keyspaceOf(req);
      return blockingRead(deps.blocking, req, [topics.services(ks), topics.checks(ks)], () =>
        [...deps.catalog.serviceTags(ks).keys()].map((name) => {
          const entries = deps.catalog.healthService(ks, name);
          return {
            Kind: entries[0]?.service.value.Kind ?? '',
            Datacenter: entries[0]?.node.value.Datacenter ?? '',
            ...serviceSummary(name, entries),
            ConnectedWithProxy: deps.catalog.serviceInstances(ks, `${name}-sidecar-proxy`).length > 0,
            ConnectedWithGateway: false,
            ...(ks ? { PeerName: ks } : {}),
          };
        }),
      );
    },

    /** /v1/health/connect/:service — the sidecars (connect-proxy instances) of a service. */
    async healthConnect(req) {
      const name = requireParam(req, 'name', 'service name');
      const ks = keyspaceOf(req);
      const passingOnly = passingFlag(req);
      const proxy = `${name}-sidecar-proxy`;
      return blockingRead(deps.blocking, req, [topics.service(ks, proxy), topics.service(ks, name)], () =>
        deps.catalog
          .healthService(ks, proxy)
          .filter((e) => isProxyFor(e.service.value, name))
          // A sidecar is only as healthy as the instance it fronts (Consul's alias check).
          .map((e) => {
            const dest = (e.service.value.Proxy as { DestinationServiceID?: string }).DestinationServiceID ?? '';
            const fronted = dest ? deps.catalog.checksOfInstance(ks, e.node.value.Node, dest) : [];
            return { ...e, checks: [...e.checks, ...fronted] };
          })
          .concat(deps.catalog.healthService(ks, name).filter((e) => isConnectNative(e.service.value)))
          .filter((e) => !passingOnly || e.checks.every((c) => c.value.Status === 'passing'))
          .map(renderHealthEntry),
      );
    },
  };
}
