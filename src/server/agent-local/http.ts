// Thin HTTP handlers for /v1/agent/* and /v1/status/*: the agent's own services, checks and identity.
import { CONSUL_VERSION } from '../../version.js';
import { createHash } from 'node:crypto';
import { invalid } from '../../lib/errors.js';
import type { IndexHub } from '../../lib/index-hub.js';
import { topics } from '../catalog/keys.js';
import { renderCheck } from '../catalog/render.js';
import type { CheckRecord, CheckStatus, Indexed, ServiceRecord } from '../catalog/types.js';
import { isCheckStatus } from '../catalog/validate.js';
import { compileFilter } from '../../lib/filter.js';
import { enforce } from '../acl/errors.js';
import type { Authorizer } from '../acl/authorizer.js';
import { parseQueryParams } from '../http/blocking.js';
import type { Handler, HttpResult } from '../http/request.js';
import { aclFilter, decodeBody, queryFlag, queryOne, requireParam } from '../http/request.js';
import { AGENT_CHECK_SCHEMA, type AgentCheckInput } from '../health-checks/definition.js';
import { AGENT_CHECK_UPDATE_SCHEMA, AGENT_SERVICE_SCHEMA, type AgentServiceInput } from './schema.js';
import type { AgentLocalService } from './service.js';
import { setOwn } from '../../lib/safe-object.js';

export interface AgentHttpDeps {
  agent: AgentLocalService;
  hub: IndexHub;
  version: string;
  /** host:port of this server's RPC/gRPC endpoint as shown by /v1/status/leader. */
  serverAddress: string;
  startedAt: Date;
  /** The gRPC TLS port once bound (0 before). */
  grpcTlsPort?: () => number;
  /** Several servers: the leader's and every server's address for /v1/status/leader|peers. */
  status?: { leader: () => string; peers: () => string[] };
}

const PROXY_KINDS = new Set(['connect-proxy', 'mesh-gateway', 'terminating-gateway', 'ingress-gateway', 'api-gateway']);

/** Consul's buildAgentService shape. */
export function renderAgentService(s: Indexed<ServiceRecord>, datacenter: string): Record<string, unknown> {
  const v = s.value;
  const out: Record<string, unknown> = {};
  if (v.Kind) out.Kind = v.Kind;
  Object.assign(out, { ID: v.ID, Service: v.Service, Tags: v.Tags, Meta: v.Meta, Port: v.Port, Address: v.Address });
  if (v.SocketPath) out.SocketPath = v.SocketPath;
  if (Object.keys(v.TaggedAddresses).length > 0) out.TaggedAddresses = v.TaggedAddresses;
  Object.assign(out, { Weights: v.Weights, EnableTagOverride: v.EnableTagOverride });
  if (PROXY_KINDS.has(v.Kind) && v.Proxy) out.Proxy = v.Proxy;
  if ((v.Connect as { Native?: boolean } | undefined)?.Native) out.Connect = { Native: true };
  out.Datacenter = datacenter;
  out.CreateIndex = s.createIndex;
  out.ModifyIndex = s.modifyIndex;
  return out;
}

function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** Aggregated status: any critical → critical, else any warning → warning, else passing. */
export function aggregateStatus(checks: CheckRecord[]): CheckStatus {
  if (checks.some((c) => c.Status === 'critical')) return 'critical';
  if (checks.some((c) => c.Status === 'warning')) return 'warning';
  return 'passing';
}

const STATUS_CODE: Record<CheckStatus, number> = { passing: 200, warning: 429, critical: 503 };

export function agentHandlers(deps: AgentHttpDeps): Record<string, Handler> {
  const { agent, hub } = deps;
  const id = agent.identity;
  const nodeTopic = [topics.node('', id.nodeName)];

  /** Consul's vetCheckUpdate: service:write for a service's check, node:write for a node check. */
  const vetCheck = (authz: Authorizer, checkId: string): void => {
    const c = agent.checks().find((x) => x.value.CheckID === checkId)?.value;
    if (!c) return; // the service reports the unknown check with Consul's 404 text
    if (c.ServiceName) enforce(authz, 'service', 'write', c.ServiceName);
    else enforce(authz, 'node', 'write', c.Node);
  };

  const ttl = (status: CheckStatus): Handler => async (req) => {
    const checkId = requireParam(req, 'id', 'check ID');
    vetCheck(req.authz, checkId);
    await agent.updateTtl(checkId, status, queryOne(req.query, 'note') ?? '');
    return {};
  };

  const serviceHealth = (s: Indexed<ServiceRecord>): { status: CheckStatus; body: Record<string, unknown> } => {
    const checks = agent.checks().filter((c) => c.value.ServiceID === s.value.ID || c.value.ServiceID === '');
    const status = aggregateStatus(checks.map((c) => c.value));
    return {
      status,
      body: { AggregatedStatus: status, Service: renderAgentService(s, id.datacenter), Checks: checks.map(renderCheck) },
    };
  };

  return {
    async registerService(req) {
      const input = decodeBody<AgentServiceInput>(req, AGENT_SERVICE_SCHEMA);
      if (input.Name) enforce(req.authz, 'service', 'write', input.Name);
      const replace = queryOne(req.query, 'replace-existing-checks');
      await agent.registerService(input, { replaceExistingChecks: replace === '' || replace === 'true' });
      return {};
    },

    async deregisterService(req) {
      const serviceId = requireParam(req, 'id', 'service ID');
      const svc = agent.service(serviceId);
      if (svc) enforce(req.authz, 'service', 'write', svc.value.Service);
      await agent.deregisterService(serviceId);
      return {};
    },

    async registerCheck(req) {
      const input = decodeBody<AgentCheckInput>(req, AGENT_CHECK_SCHEMA);
      const svc = input.ServiceID ? agent.service(input.ServiceID) : undefined;
      if (svc) enforce(req.authz, 'service', 'write', svc.value.Service);
      else enforce(req.authz, 'node', 'write', id.nodeName);
      await agent.registerCheck(input);
      return {};
    },

    async deregisterCheck(req) {
      const checkId = requireParam(req, 'id', 'check ID');
      vetCheck(req.authz, checkId);
      await agent.deregisterCheck(checkId);
      return {};
    },

    pass: ttl('passing'),
    warn: ttl('warning'),
    fail: ttl('critical'),

    async updateCheck(req) {
      const checkId = requireParam(req, 'id', 'check ID');
      vetCheck(req.authz, checkId);
      const body = decodeBody<{ Status?: string; Output?: string }>(req, AGENT_CHECK_UPDATE_SCHEMA);
      const status = body.Status ?? '';
      if (!isCheckStatus(status)) throw invalid(`Invalid check status: '${status}'`);
      await agent.updateTtl(checkId, status, body.Output ?? '');
      return {};
    },

    async serviceMaintenance(req) {
      const serviceId = requireParam(req, 'id', 'service ID');
      const enable = enableParam(req);
      const svc = agent.service(serviceId);
      if (svc) enforce(req.authz, 'service', 'write', svc.value.Service);
      await agent.setMaintenance(serviceId, enable, queryOne(req.query, 'reason') ?? '');
      return {};
    },

    async nodeMaintenance(req) {
      const enable = enableParam(req);
      enforce(req.authz, 'node', 'write', id.nodeName);
      await agent.setMaintenance(undefined, enable, queryOne(req.query, 'reason') ?? '');
      return {};
    },

    async services(req) {
      const { items, filtered } = aclFilter(req, agent.services(), (s) => req.authz.allowed('service', 'read', s.value.Service));
      const f = queryOne(req.query, 'filter');
      const keep = f ? compileFilter(f) : () => true;
      const out: Record<string, unknown> = {};
      for (const s of items) {
        const r = renderAgentService(s, id.datacenter);
        if (keep(r)) setOwn(out, s.value.ID, r);
      }
      return { json: out, ...(filtered ? { headers: { 'X-Consul-Results-Filtered-By-ACLs': 'true' } } : {}) };
    },

    async service(req) {
      const serviceId = requireParam(req, 'id', 'service ID');
      const found = agent.service(serviceId);
      if (found) enforce(req.authz, 'service', 'read', found.value.Service);
      const render = (): Record<string, unknown> | undefined => {
        const s = agent.service(serviceId);
        if (!s) return undefined;
        const body = renderAgentService(s, id.datacenter);
        body.ContentHash = contentHash(body);
        return body;
      };
      const hash = queryOne(req.query, 'hash');
      let body = render();
      if (hash && body?.ContentHash === hash) {
        const { waitMs } = parseQueryParams(req);
        await hub.wait(nodeTopic, hub.index(nodeTopic), waitMs, req.signal);
        body = render();
      }
      if (!body) return { status: 404, text: `unknown service ID: ${serviceId}` };
      return { json: body, headers: { 'X-Consul-ContentHash': String(body.ContentHash) } };
    },

    async checks(req) {
      const { items, filtered } = aclFilter(req, agent.checks(), (c) =>
        c.value.ServiceName ? req.authz.allowed('service', 'read', c.value.ServiceName) : req.authz.allowed('node', 'read', c.value.Node),
      );
      const f = queryOne(req.query, 'filter');
      const keep = f ? compileFilter(f) : () => true;
      const out: Record<string, unknown> = {};
      for (const c of items) {
        const r = renderCheck(c);
        if (keep(r)) setOwn(out, c.value.CheckID, r);
      }
      return { json: out, ...(filtered ? { headers: { 'X-Consul-Results-Filtered-By-ACLs': 'true' } } : {}) };
    },

    async healthById(req): Promise<HttpResult> {
      const serviceId = requireParam(req, 'id', 'service ID');
      const s = agent.service(serviceId);
      const text = queryOne(req.query, 'format') === 'text';
      if (!s) return { status: 404, text: `ServiceId ${serviceId} not found` };
      enforce(req.authz, 'service', 'read', s.value.Service);
      const { status, body } = serviceHealth(s);
      return text ? { status: STATUS_CODE[status], text: status } : { status: STATUS_CODE[status], json: body };
    },

    async healthByName(req): Promise<HttpResult> {
      const name = requireParam(req, 'name', 'service name');
      const matches = agent.services().filter((s) => s.value.Service === name);
      const text = queryOne(req.query, 'format') === 'text';
      if (matches.length === 0) return { status: 404, text: `ServiceName ${name} Not Found` };
      const results = matches.map(serviceHealth);
      const status = aggregateStatus(results.map((r) => ({ Status: r.status }) as CheckRecord));
      return text ? { status: STATUS_CODE[status], text: status } : { status: STATUS_CODE[status], json: results.map((r) => r.body) };
    },

    async self() {
      return {
        json: {
          Config: {
            Datacenter: id.datacenter,
            PrimaryDatacenter: id.datacenter,
            NodeName: id.nodeName,
            NodeID: id.nodeId,
            Revision: '',
            Server: true,
            // Version-gated tools read Consul's version here; Isthmus's own release sits beside it.
            Version: CONSUL_VERSION,
            BuildDate: deps.startedAt.toISOString(),
            IsthmusVersion: deps.version,
          },
          DebugConfig: {},
          Coord: null,
          Member: memberOf(deps),
          Stats: { build: { prerelease: '', revision: '', version: CONSUL_VERSION, version_metadata: '' }, isthmus: { version: deps.version } },
          Meta: {},
          xDS: { SupportedProxies: {}, Port: deps.grpcTlsPort?.() ?? 0, Ports: { Plaintext: -1, TLS: deps.grpcTlsPort?.() ?? 0 } },
        },
      };
    },

    async members(req) {
      if (queryFlag(req.query, 'wan') && queryOne(req.query, 'segment')) throw invalid('Cannot provide a segment with wan=true');
      return { json: req.authz.allowed('node', 'read', id.nodeName) ? [memberOf(deps)] : [] };
    },

    async leader() {
      return { json: deps.status ? deps.status.leader() : deps.serverAddress };
    },

    async peers() {
      return { json: deps.status ? deps.status.peers() : [deps.serverAddress] };
    },
  };
}

/** `?enable=true|false`, required, with Consul's texts. */
function enableParam(req: Parameters<Handler>[0]): boolean {
  const v = queryOne(req.query, 'enable');
  if (v === undefined || v === '') throw invalid('Missing value for enable');
  if (v !== 'true' && v !== 'false') throw invalid(`Invalid value for enable: "${v}"`);
  return v === 'true';
}

function memberOf(deps: AgentHttpDeps): Record<string, unknown> {
  const [addr, port] = deps.serverAddress.split(/:(?=\d+$)/);
  return {
    Name: deps.agent.identity.nodeName,
    Addr: addr,
    Port: Number(port),
    // Consul's serf tags: `build` is `<version>:<revision>` (here the Consul version followed and Isthmus's release).
    Tags: { dc: deps.agent.identity.datacenter, role: 'consul', id: deps.agent.identity.nodeId, build: `${CONSUL_VERSION}:${deps.version}`, vsn: '2', vsn_min: '2', vsn_max: '3', segment: '' },
    Status: 1,
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

