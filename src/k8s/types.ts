// The custom resources the controller works with, and the consul-k8s constants it keeps (names verbatim).

export const GROUP = 'consul.hashicorp.com';
export const VERSION = 'v1alpha1';
export const FINALIZER = 'finalizers.consul.hashicorp.com';
export const PEERING_VERSION_ANNOTATION = 'consul.hashicorp.com/peering-version';
export const PEERING_TOKEN_LABEL = 'consul.hashicorp.com/peering-token';
export const MIGRATE_ENTRY_ANNOTATION = 'consul.hashicorp.com/migrate-entry';
export const SOURCE_DATACENTER_META = 'consul.hashicorp.com/source-datacenter';
export const EXTERNAL_SOURCE_META = 'external-source';
export const CONTROLLER_COMPONENT = 'isthmus-controller';

/** Peering condition reasons are lower camel case (as in consul-k8s). */
export const REASON = { consulAgentError: 'consulAgentError', internalError: 'internalError', kubernetesError: 'kubernetesError' } as const;
/** Config-entry condition reasons are PascalCase (as in consul-k8s). */
export const ENTRY_REASON = {
  ConsulAgentError: 'ConsulAgentError',
  ConsulPatchError: 'ConsulPatchError',
  ExternallyManagedConfigError: 'ExternallyManagedConfigError',
  MigrationFailedError: 'MigrationFailedError',
} as const;

export interface Meta {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface SecretRef {
  name?: string;
  key?: string;
  backend?: string;
  resourceVersion?: string;
}

export interface PeeringCR {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: { peer?: { secret?: SecretRef } };
  status?: { conditions?: Condition[]; lastSyncedTime?: string; latestPeeringVersion?: number; secret?: SecretRef };
}

export interface ConfigCR {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[]; lastSyncedTime?: string };
}

export interface SecretObj {
  metadata: Meta;
  data?: Record<string, string>;
  type?: string;
}

/** The Kubernetes kinds the controller serves. */
export interface CrdKind {
  kind: string;
  plural: string;
  /** Config-entry Kind on the server; undefined for the peering kinds. */
  entryKind?: string;
}

export const PEERING_KINDS: CrdKind[] = [
  { kind: 'PeeringAcceptor', plural: 'peeringacceptors' },
  { kind: 'PeeringDialer', plural: 'peeringdialers' },
];

export const CONFIG_KINDS: CrdKind[] = [
  { kind: 'ExportedServices', plural: 'exportedservices', entryKind: 'exported-services' },
  { kind: 'Mesh', plural: 'meshes', entryKind: 'mesh' },
  { kind: 'ProxyDefaults', plural: 'proxydefaults', entryKind: 'proxy-defaults' },
  { kind: 'ServiceDefaults', plural: 'servicedefaults', entryKind: 'service-defaults' },
  { kind: 'ServiceIntentions', plural: 'serviceintentions', entryKind: 'service-intentions' },
  { kind: 'ServiceResolver', plural: 'serviceresolvers', entryKind: 'service-resolver' },
];

/** The peering's state on the server, or absent. */
export type PeeringObserved = { exists: false } | { exists: true; state: string };
