// Thin HTTP handlers for /v1/catalog/* and /v1/health/*: parse, call the catalog, render Consul shapes.
import { IsthmusError, invalid } from '../../lib/errors.js';
import { blockingRead, rendered, type BlockingReader } from '../http/blocking.js';
import type { Handler, HttpRequest } from '../http/request.js';
import { aclFilter, decodeBody, nodeMetaFilter, queryAll, queryOne, requireParam } from '../http/request.js';
import { topics } from './keys.js';
import { renderCheck, renderHealthEntry, renderNode, renderNodeService, renderServiceNode } from './render.js';
import { DEREGISTER_SCHEMA, REGISTER_SCHEMA, type Raw } from './schema.js';
import type { CatalogService } from './service.js';
import { validateDeregistration, validateRegistration } from './validate.js';
import { CHECK_STATUSES, type CheckStatus } from './types.js';
import { enforce } from '../acl/errors.js';
import { setOwn } from '../../lib/safe-object.js';

export interface CatalogHttpDeps {
  catalog: CatalogService;
  blocking: BlockingReader;
  datacenter: string;
}

/** The keyspace a read targets: `?peer=NAME` selects that peer's imported data. */
export function keyspaceOf(req: HttpRequest): string {
  return queryOne(req.query, 'peer') ?? '';
}

/** Consul answers a request for another datacenter it cannot reach with this error. */
export function checkDatacenter(req: HttpRequest, datacenter: string, bodyDc?: unknown): void {
  const dc = queryOne(req.query, 'dc') || (typeof bodyDc === 'string' ? bodyDc : '');
  if (dc && dc !== datacenter) throw new IsthmusError('UNAVAILABLE', 'No path to datacenter', { httpStatus: 500 });
}

/** `?passing`: bare or true → only passing instances; false → all; anything else → 400. */
export function passingFlag(req: HttpRequest): boolean {
  const v = queryOne(req.query, 'passing');
  if (v === undefined) return false;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalid('Invalid value for ?passing');
}

export function catalogHandlers(deps: CatalogHttpDeps): Record<string, Handler> {
  const { catalog, blocking, datacenter } = deps;
  const reader = catalog.reader;
  return {
    async register(req) {
      const raw = decodeBody<Raw>(req, REGISTER_SCHEMA);
      checkDatacenter(req, datacenter, raw.Datacenter);
      const reg = validateRegistration(raw, {
        datacenter,
        nodeExists: (n) => reader.node('', n) !== undefined,
        serviceOnNode: (n, id) => reader.service('', n, id)?.value,
      });
      // Consul: node:write to change the node, service:write for the service it carries.
      if (reg.node || !reg.service) enforce(req.authz, 'node', 'write', reg.nodeName);
      if (reg.service) enforce(req.authz, 'service', 'write', reg.service.Service);
      for (const c of reg.checks) {
        if (c.ServiceName) enforce(req.authz, 'service', 'write', c.ServiceName);
        else enforce(req.authz, 'node', 'write', reg.nodeName);
      }
      await catalog.register(reg);
      return { json: true };
    },

    async deregister(req) {
      const raw = decodeBody<Raw>(req, DEREGISTER_SCHEMA);
      checkDatacenter(req, datacenter, raw.Datacenter);
      const d = validateDeregistration(raw);
      const svc = d.serviceId ? reader.service('', d.node, d.serviceId)?.value : undefined;
      if (svc && !d.checkId) enforce(req.authz, 'service', 'write', svc.Service);
      else enforce(req.authz, 'node', 'write', d.node);
      await catalog.deregister(d);
      return { json: true };
    },

    async datacenters() {
      return { json: [datacenter] };
    },

    async nodes(req) {
      checkDatacenter(req, datacenter);
      const ks = keyspaceOf(req);
      const meta = nodeMetaFilter(req.query);
      return blockingRead(blocking, req, [topics.nodes(ks)], () => {
        const nodes = reader.nodes(ks, meta);
        if (ks !== '') return nodes.map(renderNode);
        const { items, filtered } = aclFilter(req, nodes, (n) => req.authz.allowed('node', 'read', n.value.Node));
        return rendered(items.map(renderNode), filtered);
      });
    },

    async services(req) {
      checkDatacenter(req, datacenter);
      const ks = keyspaceOf(req);
      const meta = nodeMetaFilter(req.query);
      const t = meta ? [topics.services(ks), topics.nodes(ks)] : [topics.services(ks)];
      return blockingRead(blocking, req, t, () => {
        const all = [...reader.serviceTags(ks, meta)];
        if (ks !== '') return Object.fromEntries(all);
        const { items, filtered } = aclFilter(req, all, ([name]) => req.authz.allowed('service', 'read', name));
        return rendered(Object.fromEntries(items), filtered);
      });
    },

    async service(req) {
      checkDatacenter(req, datacenter);
      const name = requireParam(req, 'name', 'service name');
      const ks = keyspaceOf(req);
      const tags = queryAll(req.query, 'tag');
      const nodeMeta = nodeMetaFilter(req.query);
      return blockingRead(blocking, req, [topics.service(ks, name)], () =>
        reader
          .serviceInstances(ks, name, { ...(tags.length ? { tags } : {}), ...(nodeMeta ? { nodeMeta } : {}) })
          .map((i) => renderServiceNode(i.node, i.service)),
      );
    },

    async node(req) {
      checkDatacenter(req, datacenter);
      const name = requireParam(req, 'node', 'node name');
      const ks = keyspaceOf(req);
      return blockingRead(blocking, req, [topics.node(ks, name)], () => {
        const node = reader.node(ks, name);
        if (!node) return null;
        const services: Record<string, unknown> = {};
        for (const s of reader.servicesOfNode(ks, name)) setOwn(services, s.value.ID, renderNodeService(s));
        return { Node: renderNode(node), Services: services };
      });
    },

    async nodeServices(req) {
      checkDatacenter(req, datacenter);
      const name = requireParam(req, 'node', 'node name');
      const ks = keyspaceOf(req);
      return blockingRead(blocking, req, [topics.node(ks, name)], () => {
        const node = reader.node(ks, name);
        if (!node) return null;
        return { Node: renderNode(node), Services: reader.servicesOfNode(ks, name).map(renderNodeService) };
      });
    },
  };
}

export function healthHandlers(deps: CatalogHttpDeps): Record<string, Handler> {
  const { catalog, blocking, datacenter } = deps;
  const reader = catalog.reader;
  return {
    async service(req) {
      checkDatacenter(req, datacenter);
      const name = requireParam(req, 'name', 'service name');
      if (queryOne(req.query, 'peer') && queryOne(req.query, 'sameness-group')) {
        throw invalid('peer-name and sameness-group are mutually exclusive');
      }
      const passingOnly = passingFlag(req);
      const ks = keyspaceOf(req);
      const tags = queryAll(req.query, 'tag');
      const nodeMeta = nodeMetaFilter(req.query);
      return blockingRead(blocking, req, [topics.service(ks, name)], () =>
        reader
          .healthService(ks, name, { passingOnly, ...(tags.length ? { tags } : {}), ...(nodeMeta ? { nodeMeta } : {}) })
          .map(renderHealthEntry),
      );
    },

    async checks(req) {
      checkDatacenter(req, datacenter);
      const name = requireParam(req, 'name', 'service name');
      const ks = keyspaceOf(req);
      const nodeMeta = nodeMetaFilter(req.query);
      return blockingRead(blocking, req, [topics.service(ks, name)], () => reader.checksOfService(ks, name, nodeMeta).map(renderCheck));
    },

    async node(req) {
      checkDatacenter(req, datacenter);
      const name = requireParam(req, 'node', 'node name');
      const ks = keyspaceOf(req);
      return blockingRead(blocking, req, [topics.node(ks, name)], () => reader.checksOfNode(ks, name).map(renderCheck));
    },

    async state(req) {
      checkDatacenter(req, datacenter);
      const state = requireParam(req, 'state', 'check state');
      const ks = keyspaceOf(req);
      const nodeMeta = nodeMetaFilter(req.query);
      const known = state === 'any' || (CHECK_STATUSES as readonly string[]).includes(state);
      return blockingRead(blocking, req, [topics.checks(ks)], () => {
        const checks = known ? reader.checksInState(ks, state as CheckStatus | 'any', nodeMeta) : [];
        if (ks !== '') return checks.map(renderCheck);
        const { items, filtered } = aclFilter(req, checks, (c) =>
          c.value.ServiceName ? req.authz.allowed('service', 'read', c.value.ServiceName) : req.authz.allowed('node', 'read', c.value.Node),
        );
        return rendered(items.map(renderCheck), filtered);
      });
    },
  };
}
