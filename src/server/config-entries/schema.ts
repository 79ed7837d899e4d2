// Decode schemas of the config entry kinds (Consul's field names; snake_case and HCL blocks accepted).
import type { ObjectSchema } from '../../lib/json-decode.js';

export const CONFIG_KINDS = ['exported-services', 'mesh', 'service-intentions', 'service-resolver', 'service-defaults', 'proxy-defaults', 'service-router', 'service-splitter'] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

const COMMON = { Kind: 'string', Name: 'string', Partition: 'string', Namespace: 'string', Meta: { map: 'string' }, CreateIndex: 'int', ModifyIndex: 'int', Hash: 'int' } as const;

const MESH_GATEWAY: ObjectSchema = { name: 'MeshGatewayConfig', fields: { Mode: 'string' } };
const TRANSPARENT_PROXY: ObjectSchema = { name: 'TransparentProxyConfig', fields: { OutboundListenerPort: 'int', DialedDirectly: 'bool' } };

const CONSUMER: ObjectSchema = {
  name: 'ServiceConsumer',
  fields: { Peer: 'string', PeerName: 'string', Partition: 'string', SamenessGroup: 'string' },
};

const EXPORTED_SERVICE: ObjectSchema = {
  name: 'ExportedService',
  fields: { Name: 'string', Namespace: 'string', Consumers: { array: CONSUMER } },
};

const TLS_DIRECTION: ObjectSchema = { name: 'MeshDirectionalTLSConfig', fields: { TLSMinVersion: 'string', TLSMaxVersion: 'string', CipherSuites: { array: 'string' } } };

const SOURCE: ObjectSchema = {
  name: 'SourceIntention',
  fields: {
    Name: 'string',
    Namespace: 'string',
    Partition: 'string',
    Peer: 'string',
    SamenessGroup: 'string',
    Action: 'string',
    Permissions: 'any',
    Precedence: 'int',
    Type: 'string',
    Description: 'string',
    LegacyID: 'string',
    LegacyMeta: { map: 'string' },
    LegacyCreateTime: 'any',
    LegacyUpdateTime: 'any',
  },
};

const REDIRECT: ObjectSchema = {
  name: 'ServiceResolverRedirect',
  fields: { Service: 'string', ServiceSubset: 'string', Namespace: 'string', Partition: 'string', Datacenter: 'string', Peer: 'string', SamenessGroup: 'string' },
};

const FAILOVER_TARGET: ObjectSchema = {
  name: 'ServiceResolverFailoverTarget',
  fields: { Service: 'string', ServiceSubset: 'string', Partition: 'string', Namespace: 'string', Datacenter: 'string', Peer: 'string' },
};

const FAILOVER: ObjectSchema = {
  name: 'ServiceResolverFailover',
  fields: {
    Service: 'string',
    ServiceSubset: 'string',
    Namespace: 'string',
    Datacenters: { array: 'string' },
    Targets: { array: FAILOVER_TARGET },
    Policy: 'any',
    SamenessGroup: 'string',
  },
};

const UPSTREAM_CONFIG: ObjectSchema = {
  name: 'UpstreamConfig',
  fields: {
    Name: 'string',
    Namespace: 'string',
    Partition: 'string',
    Peer: 'string',
    EnvoyListenerJSON: 'string',
    EnvoyClusterJSON: 'string',
    Protocol: 'string',
    ConnectTimeoutMs: 'int',
    Limits: 'any',
    PassiveHealthCheck: 'any',
    MeshGateway: MESH_GATEWAY,
    BalanceOutboundConnections: 'string',
  },
};

const HEADER_MODIFIERS: ObjectSchema = { name: 'HTTPHeaderModifiers', fields: { Add: { map: 'string' }, Set: { map: 'string' }, Remove: { array: 'string' } } };
const HEADER_MATCH: ObjectSchema = {
  name: 'ServiceRouteHTTPMatchHeader',
  fields: { Name: 'string', Present: 'bool', Exact: 'string', Prefix: 'string', Suffix: 'string', Regex: 'string', Invert: 'bool' },
};
const QUERY_MATCH: ObjectSchema = { name: 'ServiceRouteHTTPMatchQueryParam', fields: { Name: 'string', Present: 'bool', Exact: 'string', Regex: 'string' } };
const ROUTE: ObjectSchema = {
  name: 'ServiceRoute',
  fields: {
    Match: {
      name: 'ServiceRouteMatch',
      fields: {
        HTTP: {
          name: 'ServiceRouteHTTPMatch',
          fields: { PathExact: 'string', PathPrefix: 'string', PathRegex: 'string', CaseInsensitive: 'bool', Header: { array: HEADER_MATCH }, QueryParam: { array: QUERY_MATCH }, Methods: { array: 'string' } },
        },
      },
    },
    Destination: {
      name: 'ServiceRouteDestination',
      fields: {
        Service: 'string',
        ServiceSubset: 'string',
        Namespace: 'string',
        Partition: 'string',
        PrefixRewrite: 'string',
        RequestTimeout: 'duration',
        IdleTimeout: 'duration',
        NumRetries: 'int',
        RetryOnConnectFailure: 'bool',
        RetryOn: { array: 'string' },
        RetryOnStatusCodes: { array: 'int' },
        RequestHeaders: HEADER_MODIFIERS,
        ResponseHeaders: HEADER_MODIFIERS,
      },
    },
  },
};
const SPLIT: ObjectSchema = {
  name: 'ServiceSplit',
  fields: { Weight: 'any', Service: 'string', ServiceSubset: 'string', Namespace: 'string', Partition: 'string', RequestHeaders: HEADER_MODIFIERS, ResponseHeaders: HEADER_MODIFIERS },
};

export const KIND_SCHEMAS: Record<ConfigKind, ObjectSchema> = {
  'service-router': { name: 'ServiceRouterConfigEntry', fields: { ...COMMON, Routes: { array: ROUTE } } },
  'service-splitter': { name: 'ServiceSplitterConfigEntry', fields: { ...COMMON, Splits: { array: SPLIT } } },
  'exported-services': {
    name: 'ExportedServicesConfigEntry',
    fields: { ...COMMON, Services: { array: EXPORTED_SERVICE } },
  },
  mesh: {
    name: 'MeshConfigEntry',
    fields: {
      ...COMMON,
      TransparentProxy: { name: 'TransparentProxyMeshConfig', fields: { MeshDestinationsOnly: 'bool' } },
      AllowEnablingPermissiveMutualTLS: 'bool',
      ValidateClusters: 'bool',
      TLS: { name: 'MeshTLSConfig', fields: { Incoming: TLS_DIRECTION, Outgoing: TLS_DIRECTION } },
      HTTP: 'any',
      Peering: { name: 'PeeringMeshConfig', fields: { PeerThroughMeshGateways: 'bool' } },
    },
  },
  'service-intentions': {
    name: 'ServiceIntentionsConfigEntry',
    fields: { ...COMMON, Sources: { array: SOURCE }, JWT: 'any' },
  },
  'service-resolver': {
    name: 'ServiceResolverConfigEntry',
    fields: {
      ...COMMON,
      DefaultSubset: 'string',
      Subsets: { map: { name: 'ServiceResolverSubset', fields: { Filter: 'string', OnlyPassing: 'bool' } } },
      Redirect: REDIRECT,
      Failover: { map: FAILOVER },
      ConnectTimeout: 'duration',
      RequestTimeout: 'duration',
      LoadBalancer: 'any',
      PrioritizeByLocality: 'any',
    },
  },
  'service-defaults': {
    name: 'ServiceConfigEntry',
    fields: {
      ...COMMON,
      Protocol: 'string',
      Mode: 'string',
      TransparentProxy: TRANSPARENT_PROXY,
      MutualTLSMode: 'string',
      MeshGateway: MESH_GATEWAY,
      Expose: 'any',
      ExternalSNI: 'string',
      UpstreamConfig: { name: 'UpstreamConfiguration', fields: { Overrides: { array: UPSTREAM_CONFIG }, Defaults: UPSTREAM_CONFIG } },
      Destination: 'any',
      MaxInboundConnections: 'int',
      LocalConnectTimeoutMs: 'int',
      LocalRequestTimeoutMs: 'int',
      BalanceInboundConnections: 'string',
      EnvoyExtensions: 'any',
      RateLimits: 'any',
    },
  },
  'proxy-defaults': {
    name: 'ProxyConfigEntry',
    fields: {
      ...COMMON,
      Config: 'any',
      Mode: 'string',
      TransparentProxy: TRANSPARENT_PROXY,
      MutualTLSMode: 'string',
      MeshGateway: MESH_GATEWAY,
      Expose: 'any',
      AccessLogs: 'any',
      EnvoyExtensions: 'any',
      FailoverPolicy: 'any',
      PrioritizeByLocality: 'any',
    },
  },
};

export function isConfigKind(kind: string): kind is ConfigKind {
  return (CONFIG_KINDS as readonly string[]).includes(kind);
}

/** A stored config entry: the decoded body with canonical keys plus its indexes. */
export type ConfigEntry = Record<string, unknown> & { Kind: ConfigKind; Name: string };
