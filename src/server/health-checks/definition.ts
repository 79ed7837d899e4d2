// Pure rules for agent check definitions: decode schema, validation texts, defaults and naming.
import { invalid } from '../../lib/errors.js';
import type { ObjectSchema } from '../../lib/json-decode.js';
import type { CheckDefinition, CheckRecord, CheckStatus } from '../catalog/types.js';
import { isCheckStatus } from '../catalog/validate.js';

/** Consul's MinInterval: shorter intervals are raised to it. */
export const MIN_CHECK_INTERVAL_MS = 1_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;
export const DEFAULT_OUTPUT_MAX_SIZE = 4_096;
/** Consul's check_deregister_interval_min. */
export const DEFAULT_DEREGISTER_MIN_MS = 60_000;

/** Consul's CheckType / AgentServiceCheck keys. */
export const AGENT_CHECK_SCHEMA: ObjectSchema = {
  name: 'CheckType',
  fields: {
    CheckID: 'string',
    ID: 'string',
    Name: 'string',
    ServiceID: 'string',
    Notes: 'string',
    Status: 'string',
    Args: { array: 'string' },
    ScriptArgs: { array: 'string' },
    DockerContainerID: 'string',
    Shell: 'string',
    Interval: 'duration',
    Timeout: 'duration',
    TTL: 'duration',
    HTTP: 'string',
    Header: { map: { array: 'string' } },
    Method: 'string',
    Body: 'string',
    DisableRedirects: 'bool',
    TCP: 'string',
    TCPUseTLS: 'bool',
    UDP: 'string',
    TLSServerName: 'string',
    TLSSkipVerify: 'bool',
    GRPC: 'string',
    GRPCUseTLS: 'bool',
    H2PING: 'string',
    H2PingUseTLS: 'bool',
    OSService: 'string',
    AliasNode: 'string',
    AliasService: 'string',
    SuccessBeforePassing: 'int',
    FailuresBeforeWarning: 'int',
    FailuresBeforeCritical: 'int',
    DeregisterCriticalServiceAfter: 'duration',
    OutputMaxSize: 'int',
    Type: 'string',
  },
};

export interface AgentCheckInput {
  CheckID?: string;
  ID?: string;
  Name?: string;
  ServiceID?: string;
  Notes?: string;
  Status?: string;
  Args?: string[];
  ScriptArgs?: string[];
  DockerContainerID?: string;
  Interval?: number;
  Timeout?: number;
  TTL?: number;
  HTTP?: string;
  Header?: Record<string, string[]>;
  Method?: string;
  Body?: string;
  DisableRedirects?: boolean;
  TCP?: string;
  UDP?: string;
  TLSServerName?: string;
  TLSSkipVerify?: boolean;
  GRPC?: string;
  H2PING?: string;
  OSService?: string;
  AliasNode?: string;
  AliasService?: string;
  FailuresBeforeWarning?: number;
  FailuresBeforeCritical?: number;
  DeregisterCriticalServiceAfter?: number;
  OutputMaxSize?: number;
}

export interface CheckLimits {
  /** @default DEFAULT_DEREGISTER_MIN_MS */
  deregisterMinMs?: number;
}

/** The kind of probe a definition asks for (Consul's check `Type` strings). */
export function checkType(c: AgentCheckInput): string {
  if ((c.TTL ?? 0) > 0) return 'ttl';
  if (c.HTTP) return 'http';
  if (c.TCP) return 'tcp';
  if (c.UDP) return 'udp';
  if (c.GRPC) return 'grpc';
  if (c.H2PING) return 'h2ping';
  if (c.OSService) return 'os_service';
  if (c.DockerContainerID) return 'docker';
  if ((c.Args ?? c.ScriptArgs ?? []).length > 0) return 'script';
  if (c.AliasNode || c.AliasService) return 'alias';
  return '';
}

/** Consul's CheckType.Validate(), plus the probe kinds this server can run. Texts are Consul's. */
export function validateAgentCheck(c: AgentCheckInput): void {
  const type = checkType(c);
  const intervalCheck = ['http', 'tcp', 'udp', 'grpc', 'h2ping', 'os_service', 'script', 'docker'].includes(type);
  if ((c.Interval ?? 0) > 0 && (c.TTL ?? 0) > 0) throw invalid('Invalid check: Interval and TTL cannot both be specified');
  if (intervalCheck && !((c.Interval ?? 0) > 0)) {
    throw invalid('Invalid check: Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks');
  }
  if (type === 'alias' && (c.TTL ?? 0) > 0) throw invalid('Invalid check: TTL must be not be set for Alias checks');
  if (type === 'alias' && (c.Interval ?? 0) > 0) throw invalid('Invalid check: Interval cannot be set for Alias checks');
  if ((c.OutputMaxSize ?? 0) < 0) throw invalid('Invalid check: MaxOutputMaxSize must be positive');
  if ((c.FailuresBeforeWarning ?? 0) > (c.FailuresBeforeCritical ?? 0)) {
    throw invalid("Invalid check: FailuresBeforeWarning can't be higher than FailuresBeforeCritical");
  }
  if (type === '') throw invalid('Invalid check: one of TTL, HTTP or TCP must be set');
  if (!['ttl', 'http', 'tcp'].includes(type)) {
    throw invalid(`Invalid check: ${type} checks are not supported by this server; use a TTL, HTTP or TCP check`);
  }
  if (c.Status !== undefined && c.Status !== '' && !isCheckStatus(c.Status)) {
    throw invalid("Status for checks must 'passing', 'warning', 'critical'");
  }
}

/** Turns a validated agent check into the stored definition (intervals raised to Consul's minimums). */
export function toDefinition(c: AgentCheckInput, limits: CheckLimits = {}): CheckDefinition {
  const d: CheckDefinition = {};
  if (c.HTTP) {
    d.HTTP = c.HTTP;
    d.Method = c.Method || 'GET';
    if (c.Header) d.Header = c.Header;
    if (c.Body) d.Body = c.Body;
    if (c.DisableRedirects) d.DisableRedirects = true;
    if (c.TLSServerName) d.TLSServerName = c.TLSServerName;
    if (c.TLSSkipVerify) d.TLSSkipVerify = true;
  }
  if (c.TCP) d.TCP = c.TCP;
  if ((c.TTL ?? 0) > 0) d.TTL = c.TTL as number;
  if ((c.Interval ?? 0) > 0) d.Interval = Math.max(c.Interval as number, MIN_CHECK_INTERVAL_MS);
  if (c.HTTP || c.TCP) d.Timeout = (c.Timeout ?? 0) > 0 ? (c.Timeout as number) : DEFAULT_CHECK_TIMEOUT_MS;
  if ((c.OutputMaxSize ?? 0) > 0) d.OutputMaxSize = c.OutputMaxSize as number;
  if ((c.DeregisterCriticalServiceAfter ?? 0) > 0) {
    d.DeregisterCriticalServiceAfter = Math.max(c.DeregisterCriticalServiceAfter as number, limits.deregisterMinMs ?? DEFAULT_DEREGISTER_MIN_MS);
  }
  return d;
}

export interface BuildCheckOptions {
  node: string;
  serviceId: string;
  serviceName: string;
  serviceTags: string[];
  /** Position and count among the service's checks, for Consul's automatic IDs. */
  position: number;
  count: number;
  /** The check as it exists now, so a re-registration keeps its status and output. */
  existing?: CheckRecord;
  limits?: CheckLimits;
}

/** Builds the catalog record for one of a service's checks, with Consul's naming defaults. */
export function buildServiceCheck(c: AgentCheckInput, o: BuildCheckOptions): CheckRecord {
  const id = c.CheckID || c.ID || (o.count === 1 ? `service:${o.serviceId}` : `service:${o.serviceId}:${o.position}`);
  return buildCheck(c, {
    node: o.node,
    id,
    name: c.Name || `Service '${o.serviceName}' check`,
    serviceId: o.serviceId,
    serviceName: o.serviceName,
    serviceTags: o.serviceTags,
    ...(o.existing ? { existing: o.existing } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
  });
}

export function buildCheck(
  c: AgentCheckInput,
  o: { node: string; id: string; name: string; serviceId: string; serviceName: string; serviceTags: string[]; existing?: CheckRecord; limits?: CheckLimits },
): CheckRecord {
  const explicit = c.Status !== undefined && c.Status !== '';
  const status: CheckStatus = explicit ? (c.Status as CheckStatus) : (o.existing?.Status ?? 'critical');
  return {
    Node: o.node,
    CheckID: o.id,
    Name: o.name,
    Status: status,
    Notes: c.Notes ?? '',
    Output: explicit ? '' : (o.existing?.Output ?? ''),
    ServiceID: o.serviceId,
    ServiceName: o.serviceName,
    ServiceTags: o.serviceTags,
    Type: checkType(c),
    ExposedPort: 0,
    Definition: toDefinition(c, o.limits),
    PeerName: '',
  };
}
