// Decode schema of PUT /v1/agent/service/register (Consul's ServiceDefinition, snake_case accepted).
import type { ObjectSchema } from '../../lib/json-decode.js';
import { SERVICE_ADDRESS_SCHEMA, WEIGHTS_SCHEMA } from '../catalog/schema.js';
import { AGENT_CHECK_SCHEMA, type AgentCheckInput } from '../health-checks/definition.js';

const MESH_GATEWAY_CONFIG: ObjectSchema = { name: 'MeshGatewayConfig', fields: { Mode: 'string' } };

export const UPSTREAM_SCHEMA: ObjectSchema = {
  name: 'Upstream',
  fields: {
    DestinationType: 'string',
    DestinationNamespace: 'string',
    DestinationPartition: 'string',
    DestinationPeer: 'string',
    DestinationName: 'string',
    Datacenter: 'string',
    LocalBindAddress: 'string',
    LocalBindPort: 'int',
    LocalBindSocketPath: 'string',
    LocalBindSocketMode: 'string',
    Config: 'any',
    MeshGateway: MESH_GATEWAY_CONFIG,
    CentrallyConfigured: 'bool',
  },
};

export const PROXY_SCHEMA: ObjectSchema = {
  name: 'ConnectProxyConfig',
  fields: {
    DestinationServiceName: 'string',
    DestinationServiceID: 'string',
    LocalServiceAddress: 'string',
    LocalServicePort: 'int',
    LocalServiceSocketPath: 'string',
    Mode: 'string',
    Config: 'any',
    Upstreams: { array: UPSTREAM_SCHEMA },
    MeshGateway: MESH_GATEWAY_CONFIG,
    Expose: 'any',
    TransparentProxy: 'any',
    AccessLogs: 'any',
  },
};

export const CONNECT_SCHEMA: ObjectSchema = { name: 'ServiceConnect', fields: { Native: 'bool', SidecarService: 'any' } };

export const AGENT_SERVICE_SCHEMA: ObjectSchema = {
  name: 'ServiceDefinition',
  refused: { Namespace: 'json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature' },
  fields: {
    Kind: 'string',
    ID: 'string',
    Name: 'string',
    Tags: { array: 'string' },
    Address: 'string',
    TaggedAddresses: { map: SERVICE_ADDRESS_SCHEMA },
    Meta: { map: 'string' },
    Port: 'int',
    SocketPath: 'string',
    Check: AGENT_CHECK_SCHEMA,
    Checks: { array: AGENT_CHECK_SCHEMA },
    Weights: WEIGHTS_SCHEMA,
    Token: 'string',
    EnableTagOverride: 'bool',
    Proxy: PROXY_SCHEMA,
    Connect: CONNECT_SCHEMA,
    Locality: 'any',
    Partition: 'string',
  },
};
// A sidecar is itself a service definition (with a connect block that may not nest another).
(CONNECT_SCHEMA.fields as Record<string, unknown>).SidecarService = AGENT_SERVICE_SCHEMA;

export interface UpstreamInput {
  DestinationType?: string;
  DestinationNamespace?: string;
  DestinationPartition?: string;
  DestinationPeer?: string;
  DestinationName?: string;
  Datacenter?: string;
  LocalBindAddress?: string;
  LocalBindPort?: number;
  LocalBindSocketPath?: string;
  Config?: unknown;
  MeshGateway?: { Mode?: string };
}

export interface ProxyInput {
  DestinationServiceName?: string;
  DestinationServiceID?: string;
  LocalServiceAddress?: string;
  LocalServicePort?: number;
  Mode?: string;
  Config?: unknown;
  Upstreams?: UpstreamInput[];
  MeshGateway?: { Mode?: string };
  [key: string]: unknown;
}

export const AGENT_CHECK_UPDATE_SCHEMA: ObjectSchema = {
  name: 'checkUpdate',
  fields: { Status: 'string', Output: 'string' },
};

export interface AgentServiceInput {
  Kind?: string;
  ID?: string;
  Name?: string;
  Tags?: string[];
  Address?: string;
  TaggedAddresses?: Record<string, { Address: string; Port: number }>;
  Meta?: Record<string, string>;
  Port?: number;
  SocketPath?: string;
  Check?: AgentCheckInput;
  Checks?: AgentCheckInput[];
  Weights?: { Passing?: number; Warning?: number };
  Token?: string;
  EnableTagOverride?: boolean;
  Proxy?: ProxyInput;
  Connect?: { Native?: boolean; SidecarService?: AgentServiceInput };
  Locality?: unknown;
}
