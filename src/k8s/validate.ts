// Admission checks of the custom resources, with consul-k8s's messages (peering, exported services, mesh,
// proxy/service defaults, intentions, resolvers). Pure: the webhook server passes in the existing objects.
import { GROUP, type ConfigCR, type PeeringCR } from './types.js';

export interface Verdict {
  allowed: boolean;
  message: string;
}

type FieldError = string;
const q = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === undefined || v === null ? 'null' : JSON.stringify(v));
const invalid = (path: string, value: unknown, msg: string): FieldError => `${path}: Invalid value: ${q(value)}: ${msg}`;

/** apierrors.NewInvalid's text: `<plural>.consul.hashicorp.com "<name>" is invalid: <err>` or `[<err>, <err>]`. */
function wrapInvalid(plural: string, name: string, errs: FieldError[]): string {
  return `${plural}.${GROUP} "${name}" is invalid: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`;
}

const deny = (message: string): Verdict => ({ allowed: false, message });
const allow = (plural: string): Verdict => ({ allowed: true, message: `valid ${plural} request` });

export function validatePeering(kind: 'PeeringAcceptor' | 'PeeringDialer', operation: string, cr: PeeringCR, existing: PeeringCR[]): Verdict {
  const plural = kind === 'PeeringAcceptor' ? 'peeringacceptors' : 'peeringdialers';
  const peer = cr.spec?.peer;
  let err: FieldError | undefined;
  if (!peer) err = invalid('spec.peer', null, 'peer must be specified');
  else if (!peer.secret) err = invalid('spec.peer.secret', null, 'secret must be specified');
  else if (peer.secret.backend !== 'kubernetes') err = invalid('spec.peer.secret.backend', peer.secret.backend ?? '', 'backend must be "kubernetes"');
  if (err) return deny(wrapInvalid(plural, cr.metadata.name, [err]));
  if (operation === 'CREATE') {
    const secret = peer?.secret?.name;
    const dup = existing.find((o) => o.metadata.namespace === cr.metadata.namespace && o.metadata.name !== cr.metadata.name && o.spec?.peer?.secret?.name === secret);
    if (dup) return deny(`an existing ${kind} resource has the same secret name \`name: ${secret}, namespace: ${cr.metadata.namespace}\``);
  }
  return allow(plural);
}

const MODES = ['remote', 'local', 'none', ''];
function meshGatewayErrors(path: string, mg: unknown): FieldError[] {
  const mode = (mg as { mode?: unknown } | undefined)?.mode;
  if (mode === undefined || MODES.includes(mode as string)) return [];
  return [invalid(`${path}.mode`, mode, 'must be one of "remote", "local", "none", ""')];
}

type Spec = Record<string, unknown>;
const arr = (v: unknown): Spec[] => (Array.isArray(v) ? (v as Spec[]) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function exportedServicesErrors(cr: ConfigCR): FieldError[] {
  const errs: FieldError[] = [];
  if (cr.metadata.name !== 'default') errs.push(invalid('name', cr.metadata.name, 'exportedservices resource name must be "default"'));
  const services = arr(cr.spec?.services);
  if (services.length === 0) errs.push(invalid('spec.services', cr.spec?.services ?? [], 'at least one service must be exported'));
  services.forEach((s, i) => {
    const path = `spec.services[${i}]`;
    if (str(s.namespace) !== '' && str(s.namespace) !== 'default') errs.push(invalid(`${path}.namespace`, s.namespace, 'Consul Namespaces must be enabled to specify service namespace.'));
    const consumers = arr(s.consumers);
    if (consumers.length === 0) errs.push(invalid(`${path}.consumers`, s.consumers ?? [], 'service must have at least 1 consumer.'));
    consumers.forEach((c, j) => {
      const cp = `${path}.consumers[${j}]`;
      const set = [c.peer, c.partition, c.samenessGroup].filter((x) => str(x) !== '').length;
      if (set > 1) errs.push(invalid(cp, c, 'service consumer must define at most one of Peer, Partition, or SamenessGroup'));
      if (set === 0) errs.push(invalid(cp, c, 'service consumer must define at least one of Peer, Partition, or SamenessGroup'));
      if (str(c.partition) !== '' && str(c.partition) !== 'default') errs.push(invalid(`${cp}.partition`, c.partition, 'Consul Admin Partitions need to be enabled to specify partition.'));
      if (c.partition === '*') errs.push(invalid(`${cp}.partition`, c.partition, 'exporting to all partitions (wildcard) is not supported'));
      if (c.peer === '*') errs.push(invalid(`${cp}.peer`, c.peer, 'exporting to all peers (wildcard) is not supported'));
      if (c.samenessGroup === '*') errs.push(invalid(`${cp}.samenessGroup`, c.samenessGroup, 'exporting to all sameness groups (wildcard) is not supported'));
    });
  });
  return errs;
}

function upstreamErrors(path: string, u: Spec, isDefault: boolean): FieldError[] {
  const errs: FieldError[] = [...meshGatewayErrors(`${path}.meshGateway`, u.meshGateway)];
  const peer = str(u.peer);
  if (isDefault && peer !== '') errs.push(invalid(`${path}.peer`, peer, 'upstream.peer for a default upstream must be ""'));
  if (!isDefault && peer !== '') {
    if (str(u.namespace) !== '') errs.push(invalid(path, u, 'both namespace and peer cannot be specified.'));
    if (str(u.partition) !== '') errs.push(invalid(path, u, 'both partition and peer cannot be specified.'));
    // Peered upstreams only work through mesh gateways (remote, the default, or local).
    if ((u.meshGateway as { mode?: string } | undefined)?.mode === 'none') {
      errs.push(invalid(`${path}.meshGateway.mode`, 'none', 'mesh gateway mode "none" is not supported for a peer upstream; use "remote" or "local"'));
    }
  }
  return errs;
}

function serviceDefaultsErrors(cr: ConfigCR): FieldError[] {
  const s = cr.spec ?? {};
  const errs = [...meshGatewayErrors('spec.meshGateway', s.meshGateway)];
  const uc = (s.upstreamConfig ?? {}) as Spec;
  if (uc.defaults) errs.push(...upstreamErrors('spec.upstreamConfig.defaults', uc.defaults as Spec, true));
  arr(uc.overrides).forEach((o, i) => errs.push(...upstreamErrors(`spec.upstreamConfig.overrides[${i}]`, o, false)));
  return errs;
}

function intentionsErrors(cr: ConfigCR): FieldError[] {
  const errs: FieldError[] = [];
  const dest = (cr.spec?.destination ?? {}) as Spec;
  if (str(dest.name) === '') errs.push(invalid('spec.destination.name', dest.name ?? '', 'name is required.'));
  const sources = arr(cr.spec?.sources);
  if (sources.length === 0) errs.push(invalid('spec.sources', cr.spec?.sources ?? [], 'at least one source must be specified'));
  sources.forEach((s, i) => {
    const path = `spec.sources[${i}]`;
    if (str(s.name) === '') errs.push(invalid(`${path}.name`, s.name ?? '', 'name is required.'));
    const peer = str(s.peer);
    if (peer.includes('*')) errs.push(invalid(`${path}.peer`, peer, "peer cannot use or contain wildcard '*'"));
    if (peer !== '' && str(s.partition) !== '') errs.push(invalid(`${path}.peer`, peer, 'cannot set peer and partition at the same time.'));
    if (peer !== '' && str(s.samenessGroup) !== '') errs.push(invalid(`${path}.peer`, peer, 'cannot set samenessgroup and peer at the same time.'));
    const action = str(s.action);
    const perms = arr(s.permissions);
    if (action !== '' && perms.length > 0) errs.push(invalid(`${path}.action`, action, 'action and permissions are mutually exclusive and only one of them can be specified'));
    if (action === '' && perms.length === 0) errs.push(invalid(`${path}.action`, action, 'action must be either "allow" or "deny"'));
    if (action !== '' && !['allow', 'deny'].includes(action)) errs.push(invalid(`${path}.action`, action, 'must be one of "allow", "deny"'));
  });
  return errs;
}

function resolverErrors(cr: ConfigCR): FieldError[] {
  const errs: FieldError[] = [];
  const r = cr.spec?.redirect as Spec | undefined;
  if (r) {
    const peer = str(r.peer);
    const msg = peer !== '' && str(r.serviceSubset) !== '' ? 'peer cannot be set with serviceSubset' : peer !== '' && str(r.partition) !== '' ? 'partition cannot be set with peer' : peer !== '' && str(r.datacenter) !== '' ? 'peer cannot be set with datacenter' : peer !== '' && str(r.service) === '' ? 'peer defined without service' : undefined;
    if (msg) errs.push(invalid('spec.redirect', r, msg));
  }
  const failover = (cr.spec?.failover ?? {}) as Record<string, Spec>;
  for (const [subset, f] of Object.entries(failover)) {
    const path = `spec.failover[${subset}]`;
    const targets = arr(f.targets);
    if (targets.length > 0) {
      if (arr(f.datacenters).length > 0) errs.push(invalid(path, f, 'targets cannot be set with datacenters'));
      if (str(f.serviceSubset) !== '') errs.push(invalid(path, f, 'targets cannot be set with serviceSubset'));
      if (str(f.service) !== '') errs.push(invalid(path, f, 'targets cannot be set with service'));
    }
    targets.forEach((t, i) => {
      const tp = `${path}.targets[${i}]`;
      const peer = str(t.peer);
      if (peer !== '' && str(t.serviceSubset) !== '') errs.push(invalid(tp, t, 'target.peer cannot be set with target.serviceSubset'));
      if (peer !== '' && str(t.partition) !== '') errs.push(invalid(tp, t, 'target.partition cannot be set with target.peer'));
      if (peer !== '' && str(t.datacenter) !== '') errs.push(invalid(tp, t, 'target.peer cannot be set with target.datacenter'));
      if (str(t.partition) !== '' && str(t.datacenter) !== '') errs.push(invalid(tp, t, 'target.partition cannot be set with target.datacenter'));
    });
  }
  return errs;
}

/** Config-entry kinds: the kind-specific checks, the unique-name rule, then Validate(). */
export function validateConfig(kind: string, plural: string, operation: string, cr: ConfigCR, existing: ConfigCR[]): Verdict {
  const others = existing.filter((o) => !(o.metadata.name === cr.metadata.name && o.metadata.namespace === cr.metadata.namespace));
  const create = operation === 'CREATE';
  if (kind === 'ExportedServices' && create && others.length > 0) return deny('exportedservices resource already defined - only one exportedservices entry is supported per Kubernetes cluster');
  if (kind === 'Mesh' && create) {
    if (cr.metadata.name !== 'mesh') return deny('mesh resource name must be "mesh"');
    if (others.length > 0) return deny('mesh resource already defined - only one mesh entry is supported');
  }
  if (kind === 'ProxyDefaults' && create) {
    if (cr.metadata.name !== 'global') return deny('proxydefaults resource name must be "global"');
    if (others.length > 0) return deny('proxydefaults resource already defined - only one global entry is supported');
  }
  if (kind === 'ServiceIntentions' && create) {
    const dest = str((cr.spec?.destination as Spec | undefined)?.name);
    if (others.some((o) => o.metadata.namespace === cr.metadata.namespace && str((o.spec?.destination as Spec | undefined)?.name) === dest)) {
      return deny(`an existing ServiceIntentions resource has \`spec.destination.name: ${dest}\``);
    }
  }
  if (create && others.some((o) => o.metadata.name === cr.metadata.name)) {
    return deny(`${plural} resource with name "${cr.metadata.name}" is already defined – all ${plural} resources must have unique names across namespaces`);
  }
  let errs: FieldError[] = [];
  if (kind === 'ExportedServices') errs = exportedServicesErrors(cr);
  else if (kind === 'ProxyDefaults') errs = meshGatewayErrors('spec.meshGateway', cr.spec?.meshGateway);
  else if (kind === 'ServiceDefaults') errs = serviceDefaultsErrors(cr);
  else if (kind === 'ServiceIntentions') errs = intentionsErrors(cr);
  else if (kind === 'ServiceResolver') errs = resolverErrors(cr);
  if (errs.length) return deny(wrapInvalid(plural, cr.metadata.name, errs));
  return allow(plural);
}
