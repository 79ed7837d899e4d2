// Shapes the API-server double works with (plain JSON objects, as on the wire).

export type Json = Record<string, unknown>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: unknown[];
  [k: string]: unknown;
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** One served resource (built in, or registered by a CustomResourceDefinition). */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  /** A status subresource: the main endpoint ignores .status, /status changes only .status. */
  status: boolean;
  /** openAPIV3Schema of a custom resource (validated on write). */
  schema?: Json;
  printerColumns?: PrinterColumn[];
  /** Registered from a CRD (its name) rather than built in. */
  crd?: string;
}

export const gvString = (t: { group: string; version: string }): string => (t.group ? `${t.group}/${t.version}` : t.version);
/** `peeringacceptors.consul.hashicorp.com` or `secrets`: the resource as error messages name it. */
export const qualified = (t: ResourceType): string => (t.group ? `${t.plural}.${t.group}` : t.plural);

export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] },
  ) {
    super(message);
  }

  toStatus(): Json {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}
