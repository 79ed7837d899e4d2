// Pure validation and normalization of catalog register/deregister requests (Consul's rules and texts).
import { invalid } from '../../lib/errors.js';
import type { CheckDefinition, CheckRecord, CheckStatus, Deregistration, NodeRecord, Registration, ServiceRecord } from './types.js';
import { CHECK_STATUSES } from './types.js';
import type { Raw } from './schema.js';

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** What the validator needs to know about the existing catalog. */
export interface RegistrationContext {
  datacenter: string;
  nodeExists(node: string): boolean;
  serviceOnNode(node: string, serviceId: string): ServiceRecord | undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strMap(v: unknown): Record<string, string> {
  return (v as Record<string, string> | undefined) ?? {};
}

export function isCheckStatus(s: string): s is CheckStatus {
  return (CHECK_STATUSES as readonly string[]).includes(s);
}

export function isUnspecifiedAddress(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::' || addr === '[::]';
}

/** Normalizes a decoded NodeService into a stored service record. */
export function normalizeService(raw: Raw, node: string): ServiceRecord {
  const name = str(raw.Service);
  const weights = (raw.Weights as { Passing?: number; Warning?: number } | undefined) ?? {};
  return {
    Node: node,
    Kind: str(raw.Kind),
    ID: str(raw.ID) || name,
    Service: name,
    Tags: (raw.Tags as string[] | undefined) ?? [],
    Address: str(raw.Address),
    TaggedAddresses: (raw.TaggedAddresses as ServiceRecord['TaggedAddresses'] | undefined) ?? {},
    Meta: strMap(raw.Meta),
    Port: (raw.Port as number | undefined) ?? 0,
    SocketPath: str(raw.SocketPath),
    Weights: { Passing: weights.Passing ?? 1, Warning: weights.Warning ?? 1 },
    EnableTagOverride: raw.EnableTagOverride === true,
    ...(raw.Proxy !== undefined ? { Proxy: raw.Proxy as Record<string, unknown> } : {}),
    ...(raw.Connect !== undefined ? { Connect: raw.Connect as Record<string, unknown> } : {}),
    ...(raw.Locality !== undefined ? { Locality: raw.Locality } : {}),
    PeerName: '',
  };
}

/** Normalizes a decoded HealthCheck (catalog shape) into a stored check record. */
export function normalizeCatalogCheck(raw: Raw, node: string): CheckRecord {
  const status = str(raw.Status);
  if (status !== '' && !isCheckStatus(status)) throw invalid(`Invalid check status: '${status}'`);
  const def = (raw.Definition as CheckDefinition | undefined) ?? {};
  return {
    Node: str(raw.Node) || node,
    CheckID: str(raw.CheckID) || str(raw.Name),
    Name: str(raw.Name) || str(raw.CheckID),
    Status: (status || 'critical') as CheckStatus,
    Notes: str(raw.Notes),
    Output: str(raw.Output),
    ServiceID: str(raw.ServiceID),
    ServiceName: '',
    ServiceTags: [],
    Type: str(raw.Type),
    ExposedPort: (raw.ExposedPort as number | undefined) ?? 0,
    Definition: def,
    PeerName: '',
  };
}

/** Validates a decoded RegisterRequest; throws INVALID_ARGUMENT with Consul's texts. */
export function validateRegistration(raw: Raw, ctx: RegistrationContext): Registration {
  if (str(raw.PeerName) !== '') throw invalid('cannot register requests with PeerName in them');
  const nodeName = str(raw.Node);
  if (nodeName === '') throw invalid('Must provide node');
  const skip = raw.SkipNodeUpdate === true;
  const address = str(raw.Address);
  if (!skip && address === '') throw invalid('Must provide address if SkipNodeUpdate is not set');
  const id = str(raw.ID);
  if (id !== '' && !UUID_RE.test(id)) throw invalid(`Bad node ID: invalid UUID "${id}"`);
  // Consul skips the node update only for a node that exists: a new node is created from the request
  // (consul-k8s registers its synthetic nodes this way). Without an address there is nothing to create.
  const nodeExists = ctx.nodeExists(nodeName);
  if (skip && !nodeExists && address === '') {
    throw invalid(`Cannot register with SkipNodeUpdate: node "${nodeName}" does not exist`);
  }

  let service: ServiceRecord | undefined;
  const rawService = raw.Service as Raw | undefined;
  if (rawService) {
    if (str(rawService.ID) !== '' && str(rawService.Service) === '') {
      throw invalid('Must provide service name (Service.Service) when service ID is provided');
    }
    if (str(rawService.Service) === '') throw invalid('Must provide service name (Service.Service)');
    if (isUnspecifiedAddress(str(rawService.Address))) throw invalid('Invalid service address');
    if (str(rawService.PeerName) !== '') throw invalid('cannot register requests with PeerName in them');
    service = normalizeService(rawService, nodeName);
  }

  const rawChecks = [...(raw.Check ? [raw.Check as Raw] : []), ...((raw.Checks as Raw[] | undefined) ?? [])];
  const checks = rawChecks.map((rc) => {
    const c = normalizeCatalogCheck(rc, nodeName);
    if (c.CheckID === '') throw invalid('Must provide check ID or name (Check.CheckID or Check.Name)');
    if (c.Node !== nodeName) throw invalid(`Node '${c.Node}' for check '${c.CheckID}' doesn't match register request node '${nodeName}'`);
    if (c.ServiceID !== '') {
      const target = service && service.ID === c.ServiceID ? service : ctx.serviceOnNode(nodeName, c.ServiceID);
      if (!target) throw invalid(`Unknown service ID '${c.ServiceID}' for check ID '${c.CheckID}'`);
      c.ServiceName = target.Service;
      c.ServiceTags = target.Tags;
    }
    return c;
  });

  const node: NodeRecord | undefined = skip && nodeExists
    ? undefined
    : {
        ID: id.toLowerCase(),
        Node: nodeName,
        Address: address,
        Datacenter: ctx.datacenter,
        TaggedAddresses: strMap(raw.TaggedAddresses),
        Meta: strMap(raw.NodeMeta),
        ...(raw.Locality !== undefined ? { Locality: raw.Locality } : {}),
        PeerName: '',
      };
  return { nodeName, ...(node ? { node } : {}), ...(service ? { service } : {}), checks };
}

/** Validates a decoded DeregisterRequest. */
export function validateDeregistration(raw: Raw): Deregistration {
  if (str(raw.PeerName) !== '') throw invalid('cannot deregister requests with PeerName in them');
  const node = str(raw.Node);
  if (node === '') throw invalid('Must provide node');
  const serviceId = str(raw.ServiceID);
  const checkId = str(raw.CheckID);
  return { node, ...(serviceId ? { serviceId } : {}), ...(checkId ? { checkId } : {}) };
}
