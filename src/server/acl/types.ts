// The ACL model: policies and tokens as stored and as Consul renders them.
import type { PolicyRules } from './rules.js';

export const GLOBAL_MANAGEMENT_ID = '00000000-0000-0000-0000-000000000001';
export const GLOBAL_READ_ONLY_ID = '00000000-0000-0000-0000-000000000002';

export interface PolicyRecord {
  ID: string;
  Name: string;
  Description: string;
  Rules: string;
  Datacenters: string[];
  /** Parsed form of Rules (not rendered). */
  parsed: PolicyRules;
}

export interface PolicyLink {
  ID: string;
  Name: string;
}

export interface ServiceIdentity {
  ServiceName: string;
  Datacenters?: string[];
}

export interface NodeIdentity {
  NodeName: string;
  Datacenter: string;
}

/** A templated policy (Consul 1.17+): a builtin template and its variables. */
export interface TemplatedPolicy {
  TemplateName: string;
  TemplateVariables?: { Name?: string };
}

export interface TokenRecord {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: PolicyLink[];
  /** Role links (absent on tokens stored before roles existed). */
  Roles?: PolicyLink[];
  ServiceIdentities: ServiceIdentity[];
  NodeIdentities: NodeIdentity[];
  TemplatedPolicies?: TemplatedPolicy[];
  Local: boolean;
  /** Name of the auth method that created the token (login tokens only). */
  AuthMethod?: string;
  ExpirationTime?: string;
  CreateTime: string;
}

export interface RoleRecord {
  ID: string;
  Name: string;
  Description: string;
  Policies: PolicyLink[];
  ServiceIdentities: ServiceIdentity[];
  NodeIdentities: NodeIdentity[];
}

export interface AuthMethodRecord {
  Name: string;
  Type: string;
  DisplayName: string;
  Description: string;
  /** Milliseconds; 0 when unset. */
  MaxTokenTTL: number;
  TokenLocality: string;
  Config: Record<string, unknown>;
}

export type BindType = 'service' | 'node' | 'role' | 'policy' | 'templated-policy';

export interface BindingRuleRecord {
  ID: string;
  Description: string;
  AuthMethod: string;
  Selector: string;
  BindType: BindType;
  BindName: string;
  BindVars?: { Name?: string };
}

export interface Indexed<T> {
  value: T;
  createIndex: number;
  modifyIndex: number;
}
