// Pure validation and normalization of config entries, with the spec's exact messages.
import { invalid } from '../../lib/errors.js';
import { intentionPrecedence } from '../intentions/precedence.js';
import type { ConfigEntry, ConfigKind } from './schema.js';
import { validatePermissions, validateResolverSubsets, validateRouter, validateSplitter } from './validate-l7.js';

type Obj = Record<string, unknown>;

export const MESH_GATEWAY_MODES = ['', 'none', 'local', 'remote'];
const PEER_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? (v as Obj[]) : [];
}

function isDefault(v: unknown): boolean {
  return str(v) === '' || str(v) === 'default';
}

export function validateMeshGatewayMode(mg: unknown): void {
  const mode = str((mg as Obj | undefined)?.Mode);
  if (!MESH_GATEWAY_MODES.includes(mode)) throw invalid(`Invalid Mesh Gateway Mode: "${mode}"`);
}

function checkPartialWildcard(name: string, field: string): void {
  if (name.includes('*') && name !== '*') throw invalid(`${field}: wildcard character '*' cannot be used with partial values`);
}

function validateExported(e: Obj): void {
  if (e.Name !== 'default') throw invalid('exported-services Name must be "default"');
  arr(e.Services).forEach((svc, i) => {
    const at = `Services[${i}]`;
    if (str(svc.Name) === '') throw invalid(`${at}: service name cannot be empty`);
    if (svc.Namespace === '*' && svc.Name !== '*') throw invalid(`${at}: service name must be wildcard if namespace is wildcard`);
    if (!isDefault(svc.Namespace) && svc.Namespace !== '*') throw invalid(`${at}: namespaces are an enterprise-only feature`);
    const consumers = arr(svc.Consumers);
    if (consumers.length === 0) throw invalid(`${at}: must have at least one consumer`);
    consumers.forEach((c, j) => {
      const cat = `${at}.Consumers[${j}]`;
      if (str(c.Peer) === '' && str(c.PeerName) !== '') {
        c.Peer = c.PeerName;
      }
      delete c.PeerName;
      const set = [c.Peer, c.Partition, c.SamenessGroup].filter((x) => str(x) !== '').length;
      if (set > 1) throw invalid(`${cat}: must define at most one of Peer, Partition, or SamenessGroup`);
      if (c.Partition === '*') throw invalid(`${cat}: exporting to all partitions (wildcard) is not supported`);
      if (c.Peer === '*') throw invalid(`${cat}: exporting to all peers (wildcard) is not supported`);
      if (str(c.Partition) !== '' && c.Partition !== 'default') throw invalid(`${cat}: partitions are an enterprise-only feature`);
      if (str(c.SamenessGroup) !== '') throw invalid(`${cat}: sameness-groups are an enterprise-only feature`);
      if (set === 0) throw invalid(`${cat}: must define at least one of Peer, Partition, or SamenessGroup`);
      if (str(c.Peer) !== '' && !PEER_NAME_RE.test(str(c.Peer))) {
        throw invalid(`${cat}: Peer "${str(c.Peer)}" is not a valid peer name: a lowercase DNS label of at most 63 characters`);
      }
    });
  });
}

function validateIntentions(e: Obj): void {
  const dest = str(e.Name);
  checkPartialWildcard(dest, 'Name');
  const seen = new Set<string>();
  const sources = arr(e.Sources);
  sources.forEach((src, i) => {
    const at = `Sources[${i}]`;
    const name = str(src.Name);
    if (name === '') throw invalid(`${at}.Name is required`);
    checkPartialWildcard(name, `${at}.Name`);
    const peer = str(src.Peer);
    const partition = str(src.Partition);
    if (peer !== '' && partition !== '') throw invalid(`${at}.Peer: cannot set Peer and Partition at the same time.`);
    if (str(src.SamenessGroup) !== '' && partition !== '') throw invalid(`${at}.SamenessGroup: cannot set SamenessGroup and Partition at the same time`);
    if (str(src.SamenessGroup) !== '' && peer !== '') throw invalid(`${at}.SamenessGroup: cannot set SamenessGroup and Peer at the same time`);
    if (peer.includes('*')) throw invalid(`${at}.Peer: cannot use wildcard '*' in peer`);
    if (str(src.SamenessGroup) !== '') throw invalid(`${at}.SamenessGroup: sameness-groups are an enterprise-only feature`);
    if (!isDefault(partition)) throw invalid(`${at}.Partition: partitions are an enterprise-only feature`);
    const type = str(src.Type) || 'consul';
    if (type !== 'consul') throw invalid(`${at}.Type must be set to 'consul'`);
    src.Type = type;
    const hasPerms = Array.isArray(src.Permissions) && src.Permissions.length > 0;
    const action = str(src.Action);
    if (hasPerms && action !== '') throw invalid(`${at}.Action must be omitted if Permissions are specified`);
    if (!hasPerms && action !== 'allow' && action !== 'deny') throw invalid(`${at}.Action must be set to 'allow' or 'deny'`);
    validatePermissions(src, at, dest);
    const key = peer ? `peer("${peer}") "${name}"` : `"${name}"`;
    if (seen.has(key)) throw invalid(`${at} defines ${key} more than once`);
    seen.add(key);
    src.Precedence = intentionPrecedence(name, dest);
  });
  sources.sort((a, b) => (b.Precedence as number) - (a.Precedence as number) || str(a.Peer).localeCompare(str(b.Peer)) || str(a.Name).localeCompare(str(b.Name)));
  e.Sources = sources;
}

function validateResolver(e: Obj): void {
  const r = e.Redirect as Obj | undefined;
  if (r) {
    if (str(r.Peer) !== '') {
      if (str(r.ServiceSubset) !== '') throw invalid('Redirect.Peer cannot be set with Redirect.ServiceSubset');
      if (str(r.Datacenter) !== '') throw invalid('Redirect.Peer cannot be set with Redirect.Datacenter');
      if (str(r.Service) === '') throw invalid('Redirect.Peer defined without Redirect.Service');
    }
    if (str(r.SamenessGroup) !== '') throw invalid('Redirect.SamenessGroup: sameness-groups are an enterprise-only feature');
  }
  const failover = (e.Failover as Record<string, Obj> | undefined) ?? {};
  for (const [key, f] of Object.entries(failover)) {
    const at = `Bad Failover["${key}"]`;
    const targets = arr(f.Targets);
    if (targets.length > 0) {
      if (arr(f.Datacenters).length > 0) throw invalid(`${at}: Targets cannot be set with Datacenters`);
      if (str(f.ServiceSubset) !== '') throw invalid(`${at}: Targets cannot be set with ServiceSubset`);
      if (str(f.Service) !== '') throw invalid(`${at}: Targets cannot be set with Service`);
    }
    targets.forEach((t, i) => {
      if (str(t.Peer) === '') return;
      if (str(t.ServiceSubset) !== '') throw invalid(`${at}.Targets[${i}]: Peer cannot be set with ServiceSubset`);
      if (str(t.Datacenter) !== '') throw invalid(`${at}.Targets[${i}]: Peer cannot be set with Datacenter`);
    });
    if (str(f.SamenessGroup) !== '') throw invalid(`${at}: sameness-groups are an enterprise-only feature`);
  }
  validateResolverSubsets(e);
}

function validateServiceDefaults(e: Obj): void {
  checkPartialWildcard(str(e.Name), 'Name');
  if (!['', 'transparent', 'direct'].includes(str(e.Mode))) throw invalid(`Invalid Proxy Mode: "${str(e.Mode)}"`);
  validateMeshGatewayMode(e.MeshGateway);
  const uc = e.UpstreamConfig as Obj | undefined;
  if (uc) {
    arr(uc.Overrides).forEach((o, i) => {
      if (str(o.Name) === '') throw invalid(`error in upstream override at index ${i}: Name is required`);
      if (str(o.Peer) !== '' && !isDefault(o.Partition)) throw invalid(`error in upstream override at index ${i}: cannot set both Peer and Partition`);
      validateMeshGatewayMode(o.MeshGateway);
    });
    if (uc.Defaults) validateMeshGatewayMode((uc.Defaults as Obj).MeshGateway);
  }
}

/** Validates and normalizes an entry in place; returns it. Fixed names are filled in (`mesh`, `global`). */
export function validateConfigEntry(kind: ConfigKind, e: Obj): ConfigEntry {
  delete e.CreateIndex;
  delete e.ModifyIndex;
  delete e.Hash;
  e.Kind = kind;
  if (kind === 'mesh') e.Name = str(e.Name) || 'mesh';
  if (kind === 'proxy-defaults') e.Name = str(e.Name) || 'global';
  const name = str(e.Name);
  if (name === '') throw invalid('Name is required');
  if (!isDefault(e.Namespace)) throw invalid('Namespaces are a Consul Enterprise feature');
  if (!isDefault(e.Partition)) throw invalid('Partitions are a Consul Enterprise feature');
  delete e.Namespace;
  delete e.Partition;
  switch (kind) {
    case 'exported-services':
      validateExported(e);
      break;
    case 'mesh':
      if (name !== 'mesh') throw invalid(`invalid name ("${name}"), only "mesh" is supported`);
      break;
    case 'proxy-defaults':
      if (name !== 'global') throw invalid(`invalid name ("${name}"), only "global" is supported`);
      if (!['', 'transparent', 'direct'].includes(str(e.Mode))) throw invalid(`Invalid Proxy Mode: "${str(e.Mode)}"`);
      validateMeshGatewayMode(e.MeshGateway);
      break;
    case 'service-intentions':
      validateIntentions(e);
      break;
    case 'service-resolver':
      validateResolver(e);
      break;
    case 'service-defaults':
      validateServiceDefaults(e);
      break;
    case 'service-router':
      validateRouter(e);
      break;
    case 'service-splitter':
      validateSplitter(e);
      break;
  }
  return e as ConfigEntry;
}
