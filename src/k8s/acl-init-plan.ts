// What `isthmus k8s server-acl-init` makes the server hold (pure): the names consul-k8s uses, the policy rules of
// each component (kubernetes.md §2.5), the two kubernetes auth methods and their binding rules
// (dataplane-l7-auth.md §6), the component roles; and the comparison that keeps re-runs idempotent.

export const DEFAULT_AUTH_METHOD_HOST = 'https://kubernetes.default.svc';
export const DEFAULT_BINDING_RULE_SELECTOR = 'serviceaccount.name!=default';
/** Label put on the Secrets the command writes (consul-k8s's CLI label). */
export const MANAGED_BY = { 'managed-by': 'consul-k8s' } as const;

export interface AclInitOptions {
  /** `<fullname>` of the chart: every name below starts with it. */
  resourcePrefix: string;
  enablePeering: boolean;
  /** Create the workload auth method `<prefix>-k8s-auth-method` and the controller's policy/role. */
  connectInject: boolean;
  /** Create the mesh gateway's policy/role. */
  meshGateway: boolean;
  authMethodHost: string;
  bindingRuleSelector: string;
  /** Let the anonymous token read nodes and services (DNS queries carry no token). */
  allowDns?: boolean;
}

/** The anonymous token's AccessorID (fixed in Consul). */
export const ANONYMOUS_ACCESSOR_ID = '00000000-0000-0000-0000-000000000002';

/** consul-k8s's anonymous policy (`-allow-dns`): DNS and cross-peer lookups without a token. */
export const ANONYMOUS_POLICY: { Name: string; Description: string; Rules: string } = {
  Name: 'anonymous-token-policy',
  Description: 'Anonymous token Policy',
  Rules: 'node_prefix "" {\n  policy = "read"\n}\nservice_prefix "" {\n  policy = "read"\n}',
};

export function names(prefix: string): { bootstrapSecret: string; authMethodSecret: string; authMethod: string; componentAuthMethod: string } {
  return {
    bootstrapSecret: `${prefix}-bootstrap-acl-token`,
    authMethodSecret: `${prefix}-auth-method`,
    authMethod: `${prefix}-k8s-auth-method`,
    componentAuthMethod: `${prefix}-k8s-component-auth-method`,
  };
}

/** The controller (config entries, peering, endpoints sync; reads the datacenter from /v1/agent/self). */
export function connectInjectRules(enablePeering: boolean): string {
  return [
    'acl = "write"',
    'operator = "write"',
    'mesh = "write"',
    ...(enablePeering ? ['peering = "write"'] : []),
    'agent_prefix "" {\n  policy = "read"\n}',
    'node_prefix "" {\n  policy = "write"\n}',
    'service_prefix "" {\n  policy = "write"\n  intentions = "write"\n}',
  ].join('\n');
}

/** The mesh gateway, as consul-k8s grants it in CE (kubernetes.md §2.5). */
export function meshGatewayRules(enablePeering: boolean): string {
  return [
    'mesh = "write"',
    ...(enablePeering ? ['peering = "read"'] : []),
    'service "mesh-gateway" {\n  policy = "write"\n}',
    'node_prefix "" {\n  policy = "read"\n}',
    'service_prefix "" {\n  policy = "read"\n}',
  ].join('\n');
}

export interface PolicySpec {
  Name: string;
  Description: string;
  Rules: string;
}
export interface RoleSpec {
  Name: string;
  Description: string;
  Policies: { Name: string }[];
}
export interface BindingRuleSpec {
  Description: string;
  AuthMethod: string;
  Selector: string;
  BindType: 'service' | 'role';
  BindName: string;
}
export interface AuthMethodSpec {
  Name: string;
  Type: 'kubernetes';
  DisplayName?: string;
  Description: string;
  Config: { Host: string; CACert: string; ServiceAccountJWT: string };
}

export interface Component {
  name: 'connect-inject' | 'mesh-gateway';
  serviceAccount: string;
  policy: PolicySpec;
  role: RoleSpec;
  bindingRule: BindingRuleSpec;
}

/** The components that log in with the component auth method, each with its policy, role and binding rule. */
export function components(o: AclInitOptions): Component[] {
  const n = names(o.resourcePrefix);
  const make = (name: Component['name'], serviceAccount: string, rules: string): Component => {
    const policyName = `${name}-policy`;
    const roleName = `${o.resourcePrefix}-${name}-acl-role`;
    return {
      name,
      serviceAccount,
      policy: { Name: policyName, Description: `${policyName} Token Policy`, Rules: rules },
      role: { Name: roleName, Description: `ACL Role for ${serviceAccount}`, Policies: [{ Name: policyName }] },
      bindingRule: { Description: `Binding Rule for ${serviceAccount}`, AuthMethod: n.componentAuthMethod, Selector: `serviceaccount.name==${JSON.stringify(serviceAccount)}`, BindType: 'role', BindName: roleName },
    };
  };
  const out: Component[] = [];
  if (o.connectInject) out.push(make('connect-inject', `${o.resourcePrefix}-connect-injector`, connectInjectRules(o.enablePeering)));
  if (o.meshGateway) out.push(make('mesh-gateway', `${o.resourcePrefix}-mesh-gateway`, meshGatewayRules(o.enablePeering)));
  return out;
}

/** The component auth method, and (with connect injection) the workload one. */
export function authMethods(o: AclInitOptions, credentials: { caCert: string; jwt: string }): AuthMethodSpec[] {
  const n = names(o.resourcePrefix);
  const config = { Host: o.authMethodHost, CACert: credentials.caCert, ServiceAccountJWT: credentials.jwt };
  const out: AuthMethodSpec[] = [{ Name: n.componentAuthMethod, Type: 'kubernetes', Description: 'Kubernetes Auth Method for Consul components', Config: config }];
  if (o.connectInject) out.push({ Name: n.authMethod, Type: 'kubernetes', Description: 'Kubernetes Auth Method', Config: config });
  return out;
}

/** The workload binding rule: every service account but `default` gets the service identity of its name. */
export function workloadBindingRule(o: AclInitOptions): BindingRuleSpec {
  return { Description: 'Kubernetes binding rule', AuthMethod: names(o.resourcePrefix).authMethod, Selector: o.bindingRuleSelector, BindType: 'service', BindName: '${serviceaccount.name}' };
}

/** True when every field of `want` has the same value in `have` (deep, arrays in order). */
export function covers(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object') return have === want;
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
}

/** The existing binding rule this command owns (same description and bind name), if any. */
export function findOwnRule<T extends { Description?: string; BindName?: string }>(existing: T[], want: BindingRuleSpec): T | undefined {
  return existing.find((r) => r.Description === want.Description && r.BindName === want.BindName);
}
