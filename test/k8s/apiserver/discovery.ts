// Discovery (/api, /apis, resource lists) and the OpenAPI v3 documents kubectl reads: every PATCH operation
// advertises the fieldValidation query parameter, so kubectl leaves validation to the server (fieldValidation=Strict).
import { createHash } from 'node:crypto';
import type { Registry } from './resources.js';
import { gvString, type Json, type ResourceType } from './types.js';

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersions(host: string): Json {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
}

export function apiGroupList(reg: Registry): Json {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: reg.groupVersions().map(({ group, versions }) => ({
      name: group,
      versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
    })),
  };
}

export function apiGroup(reg: Registry, group: string): Json | undefined {
  const g = reg.groupVersions().find((x) => x.group === group);
  if (!g) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: g.versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${group}/${g.versions[0]}`, version: g.versions[0] },
  };
}

export function resourceList(reg: Registry, group: string, version: string): Json | undefined {
  const types = reg.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources: Json[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.crd ? { categories: [] } : {}),
    });
    if (t.status) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gvString({ group, version }), resources };
}

const openapiKey = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);

function gvDocument(types: ResourceType[]): Json {
  const paths: Json = {};
  const params = [
    { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
    { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
    { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
    { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
  ];
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const base = `/${openapiKey(t.group, t.version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    const response = { '200': { description: 'OK', content: { 'application/json': { schema: t.schema ?? { type: 'object' } } } } };
    const body = (types: string[]): Json => ({ content: Object.fromEntries(types.map((m) => [m, { schema: { type: 'object' } }])), required: true });
    const op = (action: string, extra: Json = {}): Json => ({ operationId: `${action}${t.kind}`, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, responses: response, ...extra });
    paths[base] = { get: op('list'), post: op('post', { parameters: params, requestBody: body(['*/*']) }) };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put', { parameters: params, requestBody: body(['*/*']) }),
      patch: op('patch', { parameters: params, requestBody: body(['application/json-patch+json', 'application/merge-patch+json']) }),
      delete: op('delete'),
    };
    if (t.status) paths[`${base}/{name}/status`] = { get: op('get'), patch: op('patch', { parameters: params, requestBody: body(['application/json-patch+json', 'application/merge-patch+json']) }) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.3' }, paths, components: { schemas: {} } };
}

/** `/openapi/v3` (the index) and `/openapi/v3/<key>` (one group-version). */
export function openapi(reg: Registry, key: string | undefined): Json | undefined {
  const byKey = new Map<string, ResourceType[]>();
  for (const t of reg.all()) {
    const k = openapiKey(t.group, t.version);
    byKey.set(k, [...(byKey.get(k) ?? []), t]);
  }
  if (key === undefined) {
    const paths: Json = {};
    for (const [k, types] of byKey) {
      const hash = createHash('sha512').update(JSON.stringify(gvDocument(types))).digest('hex').slice(0, 64).toUpperCase();
      paths[k] = { serverRelativeURL: `/openapi/v3/${k}?hash=${hash}` };
    }
    return { paths };
  }
  const types = byKey.get(key);
  return types ? gvDocument(types) : undefined;
}
