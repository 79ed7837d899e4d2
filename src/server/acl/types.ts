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

export interface TokenRecord {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: PolicyLink[];
  ServiceIdentities: { ServiceName: string; Datacenters?: string[] }[];
  NodeIdentities: { NodeName: string; Datacenter: string }[];
  Local: boolean;
  ExpirationTime?: string;
  CreateTime: string;
}

export interface Indexed<T> {
  value: T;
  createIndex: number;
  modifyIndex: number;
}
