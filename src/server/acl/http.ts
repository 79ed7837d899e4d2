// Thin HTTP handlers for /v1/acl/*: bootstrap, tokens and policies in Consul's shapes and texts.
import { IsthmusError, notFound } from '../../lib/errors.js';
import type { ObjectSchema } from '../../lib/json-decode.js';
import type { Handler, HttpRequest } from '../http/request.js';
import { decodeBody, queryOne, requireParam } from '../http/request.js';
import { aclAuthHandlers } from './auth-http.js';
import { authorizeAll, parseAuthorizationRequests } from './authorize-request.js';
import { ANONYMOUS_ACCESSOR_ID } from './errors.js';
import type { IdentityValidator } from './login.js';
import { AclService, type PolicyInput, type TokenInput } from './service.js';
import type { Indexed, PolicyRecord, TokenRecord } from './types.js';

const LINK: ObjectSchema = { name: 'ACLTokenPolicyLink', fields: { ID: 'string', Name: 'string' } };
const NS = { Namespace: 'json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature' };

export const TOKEN_SCHEMA: ObjectSchema = {
  name: 'ACLToken',
  refused: NS,
  fields: {
    AccessorID: 'string',
    SecretID: 'string',
    Description: 'string',
    Policies: { array: LINK },
    Roles: { array: LINK },
    ServiceIdentities: { array: { name: 'ACLServiceIdentity', fields: { ServiceName: 'string', Datacenters: { array: 'string' } } } },
    NodeIdentities: { array: { name: 'ACLNodeIdentity', fields: { NodeName: 'string', Datacenter: 'string' } } },
    TemplatedPolicies: 'any',
    Local: 'bool',
    AuthMethod: 'string',
    ExpirationTime: 'string',
    ExpirationTTL: 'duration',
    CreateTime: 'string',
    Hash: 'string',
    Partition: 'string',
    CreateIndex: 'int',
    ModifyIndex: 'int',
  },
};

export const POLICY_SCHEMA: ObjectSchema = {
  name: 'ACLPolicy',
  refused: NS,
  fields: { ID: 'string', Name: 'string', Description: 'string', Rules: 'string', Datacenters: { array: 'string' }, Hash: 'string', Partition: 'string', CreateIndex: 'int', ModifyIndex: 'int' },
};

const BOOTSTRAP_SCHEMA: ObjectSchema = { name: 'BootstrapRequest', fields: { BootstrapSecret: 'string' } };

export function renderToken(t: Indexed<TokenRecord>, showSecret: boolean, acl?: AclService): Record<string, unknown> {
  const v = t.value;
  const out: Record<string, unknown> = {
    AccessorID: v.AccessorID,
    SecretID: showSecret ? v.SecretID : '<hidden>',
    Description: v.Description,
    Policies: v.Policies,
  };
  // Role links show the role's current name; links to deleted roles are dropped.
  const roles = (v.Roles ?? []).map((r) => (acl ? acl.roles.get(r.ID)?.value : r)).filter((r) => r !== undefined).map((r) => ({ ID: r.ID, Name: r.Name }));
  if (roles.length > 0) out.Roles = roles;
  if (v.ServiceIdentities.length > 0) out.ServiceIdentities = v.ServiceIdentities;
  if (v.NodeIdentities.length > 0) out.NodeIdentities = v.NodeIdentities;
  if (v.TemplatedPolicies?.length) out.TemplatedPolicies = v.TemplatedPolicies;
  out.Local = v.Local;
  if (v.AuthMethod) out.AuthMethod = v.AuthMethod;
  if (v.ExpirationTime) out.ExpirationTime = v.ExpirationTime;
  out.CreateTime = v.CreateTime;
  out.Hash = AclService.hash({ ...v, SecretID: undefined });
  out.CreateIndex = t.createIndex;
  out.ModifyIndex = t.modifyIndex;
  return out;
}

export function renderPolicy(p: Indexed<PolicyRecord>, withRules = true): Record<string, unknown> {
  const v = p.value;
  return {
    ID: v.ID,
    Name: v.Name,
    Description: v.Description,
    ...(withRules ? { Rules: v.Rules } : {}),
    ...(v.Datacenters.length > 0 ? { Datacenters: v.Datacenters } : {}),
    Hash: AclService.hash({ Name: v.Name, Rules: v.Rules, Description: v.Description }),
    CreateIndex: p.createIndex,
    ModifyIndex: p.modifyIndex,
  };
}

export function aclHandlers(acl: AclService, validator?: IdentityValidator): Record<string, Handler> {
  const on = (h: Handler): Handler => async (req) => {
    if (!acl.enabled) throw new IsthmusError('UNAUTHENTICATED', 'ACL support disabled');
    return h(req);
  };
  const showSecret = (req: HttpRequest): boolean => req.authz.allowed('acl', 'write');
  const tokenInput = (req: HttpRequest): TokenInput => decodeBody<TokenInput>(req, TOKEN_SCHEMA, 'Token decoding failed');
  const render = (t: Indexed<TokenRecord>, show: boolean): Record<string, unknown> => renderToken(t, show, acl);
  const auth = Object.fromEntries(Object.entries(aclAuthHandlers(acl, render, validator)).map(([k, h]) => [k, on(h)]));
  const policyInput = (req: HttpRequest): PolicyInput => decodeBody<PolicyInput>(req, POLICY_SCHEMA, 'Policy decoding failed');

  return {
    ...auth,
    /** POST /v1/internal/acl/authorize: any valid token may ask what it may do. */
    authorize: on(async (req) => ({ json: authorizeAll(req.authz, parseAuthorizationRequests(req.body)) })),
    bootstrap: on(async (req) => {
      let secret: string | undefined;
      if (req.body.trim() !== '') secret = decodeBody<{ BootstrapSecret?: string }>(req, BOOTSTRAP_SCHEMA, 'Request decoding failed').BootstrapSecret;
      const t = secret ? await acl.createBootstrapWithSecret(secret) : await acl.bootstrap();
      return { json: { ID: t.value.SecretID, ...render(t, true) } };
    }),
    tokenCreate: on(async (req) => ({ json: render(await acl.createToken(tokenInput(req)), true) })),
    tokenSelf: on(async (req) => {
      const t = req.token ? acl.tokenBySecret(req.token) : acl.token(ANONYMOUS_ACCESSOR_ID);
      if (!t) throw notFound('Supplied token does not exist');
      return { json: render(t, true) };
    }),
    tokenRead: on(async (req) => {
      const t = acl.token(requireParam(req, 'accessor', 'token AccessorID'));
      if (!t) throw notFound('Requested token does not exist: ACL not found');
      return { json: render(t, showSecret(req)) };
    }),
    tokenUpdate: on(async (req) => {
      const accessor = requireParam(req, 'accessor', 'token AccessorID');
      return { json: render(await acl.updateToken(accessor, tokenInput(req)), true) };
    }),
    tokenDelete: on(async (req) => {
      await acl.deleteToken(requireParam(req, 'accessor', 'token AccessorID'), req.authz);
      return { json: true };
    }),
    tokenClone: on(async (req) => {
      const accessor = requireParam(req, 'accessor', 'token AccessorID');
      const body = req.body.trim() === '' ? {} : tokenInput(req);
      return { json: render(await acl.cloneToken(accessor, body.Description), true) };
    }),
    tokenList: on(async (req) => {
      const policy = queryOne(req.query, 'policy');
      const role = queryOne(req.query, 'role');
      const method = queryOne(req.query, 'authmethod');
      const service = queryOne(req.query, 'servicename');
      const list = acl
        .tokens()
        .filter((t) => !policy || t.value.Policies.some((p) => p.ID === policy))
        .filter((t) => !role || (t.value.Roles ?? []).some((r) => r.ID === role))
        .filter((t) => !method || t.value.AuthMethod === method)
        .filter((t) => !service || t.value.ServiceIdentities.some((s) => s.ServiceName === service));
      return { json: list.map((t) => render(t, showSecret(req))) };
    }),
    policyCreate: on(async (req) => ({ json: renderPolicy(await acl.createPolicy(policyInput(req))) })),
    policyRead: on(async (req) => {
      const p = acl.policy(requireParam(req, 'id', 'policy ID'));
      if (!p) throw notFound('Requested policy does not exist: ACL not found');
      return { json: renderPolicy(p) };
    }),
    policyReadByName: on(async (req) => {
      const p = acl.policyByName(requireParam(req, 'name', 'policy name'));
      if (!p) throw notFound('Requested policy does not exist: ACL not found');
      return { json: renderPolicy(p) };
    }),
    policyUpdate: on(async (req) => ({ json: renderPolicy(await acl.updatePolicy(requireParam(req, 'id', 'policy ID'), policyInput(req))) })),
    policyDelete: on(async (req) => {
      await acl.deletePolicy(requireParam(req, 'id', 'policy ID'));
      return { json: true };
    }),
    policyList: on(async () => ({ json: acl.policies().map((p) => renderPolicy(p, false)) })),
  };
}
