// Binding rules: which identities an auth method's logins get (selector over the identity, HIL bind name).
import { randomUUID } from 'node:crypto';
import { invalid, IsthmusError, notFound } from '../../lib/errors.js';
import { compileFilter, filterSelectors } from '../../lib/filter.js';
import { HilError, interpolate } from './hil.js';
import { isValidNodeName, isValidRoleName, SERVICE_IDENTITY_RE } from './roles.js';
import type { AclService } from './service.js';
import { isTemplate } from './templated-policies.js';
import { jwtIdentityShape } from './jwt-auth.js';
import type { AuthMethodRecord, BindingRuleRecord, BindType, Indexed, NodeIdentity, PolicyLink, ServiceIdentity, TemplatedPolicy } from './types.js';

export const BIND_TYPES: readonly BindType[] = ['service', 'node', 'role', 'policy', 'templated-policy'];
const POLICY_NAME_RE = /^[A-Za-z0-9\-_]{1,128}$/;

/** What a validated login presents: fields for selectors, variables for bind names. */
export interface Identity {
  /** Selectable fields, e.g. `{serviceaccount: {namespace, name, uid}}`. */
  selectable: Record<string, unknown>;
  /** Projected variables, e.g. `serviceaccount.name`. */
  vars: Record<string, string>;
}

/** The fields and variables a `kubernetes` identity has (placeholders, for validating rules). */
export const KUBERNETES_VARS = ['serviceaccount.namespace', 'serviceaccount.name', 'serviceaccount.uid'] as const;

export function kubernetesIdentity(sa: { namespace: string; name: string; uid: string }): Identity {
  return {
    selectable: { serviceaccount: { namespace: sa.namespace, name: sa.name, uid: sa.uid } },
    vars: { 'serviceaccount.namespace': sa.namespace, 'serviceaccount.name': sa.name, 'serviceaccount.uid': sa.uid },
  };
}

export interface BindingRuleInput {
  ID?: string;
  Description?: string;
  AuthMethod?: string;
  Selector?: string;
  BindType?: string;
  BindName?: string;
  BindVars?: { Name?: string };
}

/** Selector problems in bexpr's words, or undefined when it is valid for these fields. */
export function selectorProblem(selector: string, fields: readonly string[]): string | undefined {
  try {
    compileFilter(selector);
    for (const path of filterSelectors(selector)) {
      const dotted = path.join('.');
      if (!fields.includes(dotted)) return `Selector "${dotted}" is not valid`;
    }
    return undefined;
  } catch (err) {
    return IsthmusError.is(err) ? err.message.replace(/^Failed to create boolean expression evaluator: /, '') : String(err);
  }
}

/** Whether a computed bind name is valid for its bind type. */
export function validBindName(type: BindType, name: string): boolean {
  switch (type) {
    case 'service':
      return SERVICE_IDENTITY_RE.test(name);
    case 'node':
      return isValidNodeName(name);
    case 'role':
      return isValidRoleName(name);
    case 'policy':
      return POLICY_NAME_RE.test(name);
    case 'templated-policy':
      return isTemplate(name);
  }
}

/**
 * Checks a rule the way Consul's BindingRuleSet does once the method is known (pure):
 * selector, bind type, bind name with every variable set to a placeholder.
 */
export function validateRuleBody(input: BindingRuleInput, vars: readonly string[], fields: readonly string[] = vars): { type: BindType; selector: string; name: string } {
  const selector = input.Selector ?? '';
  if (selector.trim() !== '') {
    const problem = selectorProblem(selector, fields);
    if (problem) throw invalid(`invalid Binding Rule: Selector is invalid: ${problem}`);
  }
  const type = input.BindType ?? '';
  if (type === '') throw invalid('Invalid Binding Rule: no BindType is set');
  const name = input.BindName ?? '';
  if (name === '') throw invalid('Invalid Binding Rule: no BindName is set');
  if (!(BIND_TYPES as readonly string[]).includes(type)) throw invalid(`Invalid Binding Rule: unknown BindType "${type}"`);
  const bt = type as BindType;
  if (bt === 'templated-policy') {
    if (!isTemplate(name)) throw invalid(`Bind name for templated-policy bind type does not match existing template name: ${name}`);
    const varName = input.BindVars?.Name;
    if (varName !== undefined && varName !== '') checkName('service', varName, vars);
    return { type: bt, selector, name };
  }
  checkName(bt, name, vars);
  return { type: bt, selector, name };
}

function checkName(bt: BindType, template: string, vars: readonly string[]): void {
  const fake = Object.fromEntries(vars.map((v) => [v, 'fake']));
  let computed: string;
  try {
    computed = interpolate(template, fake, true);
  } catch (err) {
    if (err instanceof HilError) throw invalid(`Invalid Binding Rule: invalid BindName: ${err.message}`);
    throw err;
  }
  if (!validBindName(bt, computed)) throw invalid('Invalid Binding Rule: invalid BindName');
}

/** Whether a rule's selector matches an identity; an invalid selector never matches. */
export function ruleMatches(rule: Pick<BindingRuleRecord, 'Selector'>, identity: Identity): boolean {
  if (rule.Selector.trim() === '') return true;
  try {
    return compileFilter(rule.Selector)(identity.selectable);
  } catch {
    return false;
  }
}

export interface Bindings {
  ServiceIdentities: ServiceIdentity[];
  NodeIdentities: NodeIdentity[];
  Roles: PolicyLink[];
  Policies: PolicyLink[];
  TemplatedPolicies: TemplatedPolicy[];
}

export function emptyBindings(b: Bindings): boolean {
  return b.ServiceIdentities.length + b.NodeIdentities.length + b.Roles.length + b.Policies.length + b.TemplatedPolicies.length === 0;
}

/** Lookups the binder needs (roles and policies by name; missing ones are skipped). */
export interface BindLookups {
  datacenter: string;
  roleByName(name: string): PolicyLink | undefined;
  policyByName(name: string): PolicyLink | undefined;
}

/** Applies every matching rule (Consul's binder): each adds its identity, role or policy once. */
export function bind(rules: readonly BindingRuleRecord[], identity: Identity, lookups: BindLookups): Bindings {
  const out: Bindings = { ServiceIdentities: [], NodeIdentities: [], Roles: [], Policies: [], TemplatedPolicies: [] };
  for (const rule of rules) {
    if (!ruleMatches(rule, identity)) continue;
    const name = computeBindName(rule.BindType, rule.BindName, identity.vars);
    switch (rule.BindType) {
      case 'service':
        if (!out.ServiceIdentities.some((s) => s.ServiceName === name)) out.ServiceIdentities.push({ ServiceName: name });
        break;
      case 'node':
        if (!out.NodeIdentities.some((n) => n.NodeName === name)) out.NodeIdentities.push({ NodeName: name, Datacenter: lookups.datacenter });
        break;
      case 'role': {
        const r = lookups.roleByName(name);
        if (r && !out.Roles.some((x) => x.ID === r.ID)) out.Roles.push(r);
        break;
      }
      case 'policy': {
        const p = lookups.policyByName(name);
        if (p && !out.Policies.some((x) => x.ID === p.ID)) out.Policies.push(p);
        break;
      }
      case 'templated-policy': {
        const v = rule.BindVars?.Name ? computeBindName('service', rule.BindVars.Name, identity.vars) : undefined;
        out.TemplatedPolicies.push({ TemplateName: name, ...(v !== undefined ? { TemplateVariables: { Name: v } } : {}) });
        break;
      }
    }
  }
  return out;
}

function computeBindName(type: BindType, template: string, vars: Record<string, string>): string {
  let name: string;
  try {
    name = interpolate(template, vars, true);
  } catch (err) {
    throw new IsthmusError('FAILED_PRECONDITION', `cannot compute "${type}" bind name for bind target: ${(err as Error).message}`, { httpStatus: 500 });
  }
  if (type !== 'templated-policy' && !validBindName(type, name)) {
    throw new IsthmusError('FAILED_PRECONDITION', `computed "${type}" bind name for bind target is invalid: "${name}"`, { httpStatus: 500 });
  }
  return name;
}

export function renderBindingRule(r: Indexed<BindingRuleRecord>): Record<string, unknown> {
  const v = r.value;
  return {
    ID: v.ID,
    Description: v.Description,
    AuthMethod: v.AuthMethod,
    Selector: v.Selector,
    BindType: v.BindType,
    BindName: v.BindName,
    ...(v.BindVars?.Name ? { BindVars: v.BindVars } : {}),
    CreateIndex: r.createIndex,
    ModifyIndex: r.modifyIndex,
  };
}

/** The selectable fields and bind-name variables of a method's identities. */
export function identityShape(method: AuthMethodRecord): { fields: readonly string[]; vars: readonly string[] } {
  if (method.Type === 'jwt') return jwtIdentityShape(method.Config);
  return { fields: KUBERNETES_VARS, vars: KUBERNETES_VARS };
}

export class BindingRuleService {
  readonly #acl: AclService;

  constructor(acl: AclService) {
    this.#acl = acl;
  }

  list(method?: string): Indexed<BindingRuleRecord>[] {
    return this.#acl.bindingRules
      .values()
      .filter((r) => !method || r.value.AuthMethod === method)
      .sort((a, b) => a.createIndex - b.createIndex);
  }

  get(id: string): Indexed<BindingRuleRecord> | undefined {
    return this.#acl.bindingRules.get(id);
  }

  #build(input: BindingRuleInput, id: string, existing?: BindingRuleRecord): BindingRuleRecord {
    let method = input.AuthMethod ?? '';
    if (existing) {
      if (method === '') method = existing.AuthMethod;
      else if (method !== existing.AuthMethod) throw invalid('the AuthMethod field of an Binding Rule is immutable');
    }
    if (method === '') throw invalid('Invalid Binding Rule: no AuthMethod is set');
    const m = this.#acl.authMethods.get(method);
    if (!m) throw invalid(`cannot find auth method with name "${method}"`);
    const shape = identityShape(m.value);
    const { type, selector, name } = validateRuleBody(input, shape.vars, shape.fields);
    return {
      ID: id,
      Description: input.Description ?? '',
      AuthMethod: method,
      Selector: selector,
      BindType: type,
      BindName: name,
      ...(input.BindVars?.Name ? { BindVars: { Name: input.BindVars.Name } } : {}),
    };
  }

  create(input: BindingRuleInput): Promise<Indexed<BindingRuleRecord>> {
    if (input.ID) return Promise.reject(invalid('Cannot specify the ID when creating a new binding rule'));
    return this.#acl.serialWrite(async () => {
      const r = this.#build(input, randomUUID());
      await this.#acl.commit([this.#acl.bindingRules.putOp(r)]);
      return this.#acl.bindingRules.get(r.ID) as Indexed<BindingRuleRecord>;
    });
  }

  update(id: string, input: BindingRuleInput): Promise<Indexed<BindingRuleRecord>> {
    if (input.ID && input.ID !== id) return Promise.reject(invalid('BindingRule ID in URL and payload do not match'));
    return this.#acl.serialWrite(async () => {
      const cur = this.#acl.bindingRules.get(id);
      if (!cur) throw notFound('Cannot find binding rule to update');
      const r = this.#build(input, id, cur.value);
      await this.#acl.commit([this.#acl.bindingRules.putOp(r)]);
      return this.#acl.bindingRules.get(id) as Indexed<BindingRuleRecord>;
    });
  }

  delete(id: string): Promise<void> {
    return this.#acl.serialWrite(async () => {
      if (!this.#acl.bindingRules.has(id)) throw notFound('Cannot find binding rule to delete');
      await this.#acl.commit([this.#acl.bindingRules.deleteOp(id)]);
    });
  }
}
