// Thin HTTP handlers for ACL roles, auth methods, binding rules, login and logout (Consul's shapes and texts).
import { IsthmusError, notFound } from '../../lib/errors.js';
import type { ObjectSchema } from '../../lib/json-decode.js';
import type { Handler, HttpRequest } from '../http/request.js';
import { decodeBody, queryOne, requireParam } from '../http/request.js';
import { AuthMethodService, renderAuthMethod, type AuthMethodInput } from './auth-methods.js';
import { BindingRuleService, renderBindingRule, type BindingRuleInput } from './binding-rules.js';
import { LoginService, type IdentityValidator, type LoginInput } from './login.js';
import { RoleService, type RoleInput } from './roles.js';
import { AclService } from './service.js';
import type { Indexed, RoleRecord, TokenRecord } from './types.js';

const NS = { Namespace: 'json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature' };
const LINK: ObjectSchema = { name: 'ACLRolePolicyLink', fields: { ID: 'string', Name: 'string' } };

const ROLE_SCHEMA: ObjectSchema = {
  name: 'ACLRole',
  refused: NS,
  fields: {
    ID: 'string',
    Name: 'string',
    Description: 'string',
    Policies: { array: LINK },
    ServiceIdentities: { array: { name: 'ACLServiceIdentity', fields: { ServiceName: 'string', Datacenters: { array: 'string' } } } },
    NodeIdentities: { array: { name: 'ACLNodeIdentity', fields: { NodeName: 'string', Datacenter: 'string' } } },
    TemplatedPolicies: { array: { name: 'ACLTemplatedPolicy', fields: { TemplateName: 'string', TemplateID: 'string', TemplateVariables: { name: 'ACLTemplatedPolicyVariables', fields: { Name: 'string' } }, Datacenters: { array: 'string' } } } },
    Hash: 'string',
    Partition: 'string',
    CreateIndex: 'int',
    ModifyIndex: 'int',
  },
};

const AUTH_METHOD_SCHEMA: ObjectSchema = {
  name: 'ACLAuthMethod',
  refused: NS,
  fields: {
    Name: 'string',
    Type: 'string',
    DisplayName: 'string',
    Description: 'string',
    MaxTokenTTL: 'duration',
    TokenLocality: 'string',
    Config: { map: 'any' },
    Partition: 'string',
    CreateIndex: 'int',
    ModifyIndex: 'int',
  },
};

const BINDING_RULE_SCHEMA: ObjectSchema = {
  name: 'ACLBindingRule',
  refused: NS,
  fields: {
    ID: 'string',
    Description: 'string',
    AuthMethod: 'string',
    Selector: 'string',
    BindType: 'string',
    BindName: 'string',
    BindVars: { name: 'ACLTemplatedPolicyVariables', fields: { Name: 'string' } },
    Partition: 'string',
    CreateIndex: 'int',
    ModifyIndex: 'int',
  },
};

const LOGIN_SCHEMA: ObjectSchema = {
  name: 'ACLLoginParams',
  fields: { AuthMethod: 'string', BearerToken: 'string', Meta: { map: 'string' } },
};

export function renderRole(acl: AclService, r: Indexed<RoleRecord>): Record<string, unknown> {
  const v = r.value;
  const policies = v.Policies.map((p) => acl.policy(p.ID)?.value).filter((p) => p !== undefined).map((p) => ({ ID: p.ID, Name: p.Name }));
  return {
    ID: v.ID,
    Name: v.Name,
    Description: v.Description,
    ...(policies.length ? { Policies: policies } : {}),
    ...(v.ServiceIdentities.length ? { ServiceIdentities: v.ServiceIdentities } : {}),
    ...(v.NodeIdentities.length ? { NodeIdentities: v.NodeIdentities } : {}),
    ...(v.TemplatedPolicies?.length ? { TemplatedPolicies: v.TemplatedPolicies } : {}),
    Hash: AclService.hash({ Name: v.Name, Description: v.Description, Policies: v.Policies, ServiceIdentities: v.ServiceIdentities, NodeIdentities: v.NodeIdentities }),
    CreateIndex: r.createIndex,
    ModifyIndex: r.modifyIndex,
  };
}

/**
 * Handlers keyed by the names routes.ts uses; `render` renders a token as /v1/acl/token does.
 * `validator` replaces the kubernetes TokenReview check (tests of the pure path only).
 */
export function aclAuthHandlers(acl: AclService, renderToken: (t: Indexed<TokenRecord>, showSecret: boolean) => Record<string, unknown>, validator?: IdentityValidator): Record<string, Handler> {
  const roles = new RoleService(acl);
  const methods = new AuthMethodService(acl);
  const rules = new BindingRuleService(acl);
  const login = new LoginService(acl, validator);
  // Login and logout for another datacenter would be forwarded there; this server has no path to one.
  const sameDatacenter = (req: HttpRequest): void => {
    const dc = queryOne(req.query, 'dc');
    if (dc && dc !== acl.datacenter) throw new IsthmusError('UNAVAILABLE', 'No path to datacenter', { httpStatus: 500 });
  };
  const role = (req: HttpRequest): RoleInput => decodeBody<RoleInput>(req, ROLE_SCHEMA, 'Role decoding failed');
  const method = (req: HttpRequest): AuthMethodInput => decodeBody<AuthMethodInput>(req, AUTH_METHOD_SCHEMA, 'AuthMethod decoding failed');
  const rule = (req: HttpRequest): BindingRuleInput => decodeBody<BindingRuleInput>(req, BINDING_RULE_SCHEMA, 'BindingRule decoding failed');
  return {
    roleCreate: async (req) => ({ json: renderRole(acl, await roles.create(role(req))) }),
    roleRead: async (req) => {
      const r = roles.get(requireParam(req, 'id', 'role ID'));
      if (!r) throw notFound('Requested role does not exist: ACL not found');
      return { json: renderRole(acl, r) };
    },
    roleReadByName: async (req) => {
      const r = roles.byName(requireParam(req, 'name', 'role name'));
      if (!r) throw notFound('Requested role does not exist: ACL not found');
      return { json: renderRole(acl, r) };
    },
    roleUpdate: async (req) => ({ json: renderRole(acl, await roles.update(requireParam(req, 'id', 'role ID'), role(req))) }),
    roleDelete: async (req) => {
      await roles.delete(requireParam(req, 'id', 'role ID'));
      return { json: true };
    },
    roleList: async (req) => ({ json: roles.list(queryOne(req.query, 'policy')).map((r) => renderRole(acl, r)) }),

    authMethodCreate: async (req) => ({ json: renderAuthMethod(await methods.upsert(method(req)), true) }),
    authMethodRead: async (req) => {
      const m = methods.get(requireParam(req, 'name', 'auth method name'));
      if (!m) throw notFound('Requested auth method does not exist: ACL not found');
      return { json: renderAuthMethod(m, true) };
    },
    authMethodUpdate: async (req) => ({ json: renderAuthMethod(await methods.update(requireParam(req, 'name', 'auth method name'), method(req)), true) }),
    authMethodDelete: async (req) => {
      await methods.delete(requireParam(req, 'name', 'auth method name'));
      return { json: true };
    },
    authMethodList: async () => ({ json: methods.list().map((m) => renderAuthMethod(m, false)) }),

    bindingRuleCreate: async (req) => ({ json: renderBindingRule(await rules.create(rule(req))) }),
    bindingRuleRead: async (req) => {
      const r = rules.get(requireParam(req, 'id', 'binding rule ID'));
      if (!r) throw notFound('Requested binding rule does not exist: ACL not found');
      return { json: renderBindingRule(r) };
    },
    bindingRuleUpdate: async (req) => ({ json: renderBindingRule(await rules.update(requireParam(req, 'id', 'binding rule ID'), rule(req))) }),
    bindingRuleDelete: async (req) => {
      await rules.delete(requireParam(req, 'id', 'binding rule ID'));
      return { json: true };
    },
    bindingRuleList: async (req) => ({ json: rules.list(queryOne(req.query, 'authmethod')).map(renderBindingRule) }),

    login: async (req) => {
      sameDatacenter(req);
      const body = req.body.trim() === '' ? {} : decodeBody<LoginInput>(req, LOGIN_SCHEMA, 'Failed to decode request body');
      return { json: renderToken(await login.login(body), true) };
    },
    logout: async (req) => {
      sameDatacenter(req);
      await login.logout(req.token);
      return { json: true };
    },
  };
}
