// Thin HTTP handlers for the Connect CA: roots, leaf certificates and provider configuration.
import { invalid } from '../../lib/errors.js';
import { parseJsonText } from '../../lib/json-decode.js';
import { enforce } from '../acl/errors.js';
import { blockingRead, parseQueryParams, type BlockingReader } from '../http/blocking.js';
import type { Handler } from '../http/request.js';
import { queryOne, requireParam } from '../http/request.js';
import { renderCaConfig } from './config.js';
import { CA_ROOTS_TOPIC, type CaService, type RootRecord } from './service.js';

export function renderRoot(r: RootRecord): Record<string, unknown> {
  return {
    ID: r.ID,
    Name: r.Name,
    SerialNumber: r.SerialNumber,
    SigningKeyID: r.SigningKeyID,
    ExternalTrustDomain: r.ExternalTrustDomain,
    NotBefore: r.NotBefore,
    NotAfter: r.NotAfter,
    RootCert: r.RootCert,
    IntermediateCerts: r.IntermediateCerts,
    Active: r.Active,
    PrivateKeyType: r.PrivateKeyType,
    PrivateKeyBits: r.PrivateKeyBits,
    CreateIndex: r.createIndex,
    ModifyIndex: r.modifyIndex,
  };
}

export function caHandlers(deps: { ca: CaService; blocking: BlockingReader; isMeshGateway: (service: string) => boolean }): Record<string, Handler> {
  const { ca, blocking } = deps;
  return {
    async roots(req) {
      const pem = queryOne(req.query, 'pem');
      if (pem === 'true' || pem === '') {
        const active = ca.activeRoot();
        const chain = [active.RootCert, ...(active.IntermediateCerts ?? [])].map((p) => p.trim()).join('\n') + '\n';
        return { text: chain, headers: { 'Content-Type': 'application/pem-certificate-chain' } };
      }
      return blockingRead(blocking, req, [CA_ROOTS_TOPIC], () => ({
        ActiveRootID: ca.activeRoot().ID,
        TrustDomain: ca.trustDomain,
        Roots: ca.roots().map(renderRoot),
      }));
    },

    async leaf(req) {
      const service = requireParam(req, 'service', 'service name');
      enforce(req.authz, 'service', 'write', service);
      // A mesh gateway's leaf also needs mesh:write (spec §8).
      if (deps.isMeshGateway(service)) enforce(req.authz, 'mesh', 'write');
      const params = parseQueryParams(req, blocking.options);
      let leaf = await ca.serviceLeaf(service);
      if (params.minIndex > 0 && leaf.ModifyIndex <= params.minIndex) {
        await blocking.hub.wait([CA_ROOTS_TOPIC], params.minIndex, params.waitMs, req.signal);
        leaf = await ca.serviceLeaf(service);
      }
      return { json: leaf, headers: { 'X-Consul-Index': String(leaf.ModifyIndex), 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' } };
    },

    async getConfig() {
      const idx = ca.configIndexes;
      return {
        json: {
          Provider: 'consul',
          Config: renderCaConfig(ca.config),
          State: null,
          ForceWithoutCrossSigning: ca.forceWithoutCrossSigning,
          CreateIndex: idx.createIndex,
          ModifyIndex: idx.modifyIndex,
        },
      };
    },

    async setConfig(req) {
      let body: unknown;
      try {
        body = parseJsonText(req.body);
      } catch (err) {
        throw invalid(`Request decode failed: ${(err as Error).message}`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Request decode failed: expected a JSON object');
      const input: { Provider?: string; Config?: Record<string, unknown>; ForceWithoutCrossSigning?: boolean } = {};
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        const key = k.replace(/_/g, '').toLowerCase();
        if (key === 'provider') input.Provider = String(v);
        else if (key === 'config') input.Config = (v ?? {}) as Record<string, unknown>;
        else if (key === 'forcewithoutcrosssigning') input.ForceWithoutCrossSigning = v === true;
        else if (key === 'state') throw invalid('CA State is read-only and cannot be changed');
        else if (!['createindex', 'modifyindex'].includes(key)) throw invalid(`Request decode failed: json: unknown field "${k}"`);
      }
      await ca.setConfig(input);
      return {};
    },
  };
}
