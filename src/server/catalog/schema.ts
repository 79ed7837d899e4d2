// Decode schemas for catalog request bodies (Consul's RegisterRequest and DeregisterRequest).
import type { ObjectSchema } from '../../lib/json-decode.js';

const NS_REFUSED = {
  Namespace: 'json: unknown field "Namespace" - Namespaces are a Consul Enterprise feature',
};

export const WEIGHTS_SCHEMA: ObjectSchema = { name: 'Weights', fields: { Passing: 'int', Warning: 'int' } };
export const SERVICE_ADDRESS_SCHEMA: ObjectSchema = { name: 'ServiceAddress', fields: { Address: 'string', Port: 'int' } };

export const DEFINITION_SCHEMA: ObjectSchema = {
  name: 'HealthCheckDefinition',
  fields: {
    HTTP: 'string',
    TLSServerName: 'string',
    TLSSkipVerify: 'bool',
    Header: { map: { array: 'string' } },
    Method: 'string',
    Body: 'string',
    DisableRedirects: 'bool',
    TCP: 'string',
    TCPUseTLS: 'bool',
    UDP: 'string',
    H2PING: 'string',
    H2PingUseTLS: 'bool',
    OSService: 'string',
    GRPC: 'string',
    GRPCUseTLS: 'bool',
    Interval: 'duration',
    Timeout: 'duration',
    TTL: 'duration',
    OutputMaxSize: 'int',
    DeregisterCriticalServiceAfter: 'duration',
    ScriptArgs: { array: 'string' },
    DockerContainerID: 'string',
    Shell: 'string',
    AliasNode: 'string',
    AliasService: 'string',
  },
};

export const HEALTH_CHECK_SCHEMA: ObjectSchema = {
  name: 'HealthCheck',
  refused: NS_REFUSED,
  fields: {
    Node: 'string',
    CheckID: 'string',
    Name: 'string',
    Status: 'string',
    Notes: 'string',
    Output: 'string',
    ServiceID: 'string',
    ServiceName: 'string',
    ServiceTags: { array: 'string' },
    Type: 'string',
    Interval: 'string',
    Timeout: 'string',
    ExposedPort: 'int',
    Definition: DEFINITION_SCHEMA,
    PeerName: 'string',
    Partition: 'string',
    CreateIndex: 'int',
    ModifyIndex: 'int',
  },
};

export const NODE_SERVICE_SCHEMA: ObjectSchema = {
  name: 'NodeService',
  refused: NS_REFUSED,
  fields: {
    Kind: 'string',
    ID: 'string',
    Service: 'string',
    Tags: { array: 'string' },
    Address: 'string',
    TaggedAddresses: { map: SERVICE_ADDRESS_SCHEMA },
    Meta: { map: 'string' },
    Port: 'int',
    SocketPath: 'string',
    Weights: WEIGHTS_SCHEMA,
    EnableTagOverride: 'bool',
    Proxy: 'any',
    Connect: 'any',
    Locality: 'any',
    PeerName: 'string',
    Partition: 'string',
    LocallyRegisteredAsSidecar: 'bool',
    CreateIndex: 'int',
    ModifyIndex: 'int',
  },
};

export const REGISTER_SCHEMA: ObjectSchema = {
  name: 'RegisterRequest',
  refused: NS_REFUSED,
  fields: {
    Datacenter: 'string',
    ID: 'string',
    Node: 'string',
    Address: 'string',
    TaggedAddresses: { map: 'string' },
    NodeMeta: { map: 'string' },
    Service: NODE_SERVICE_SCHEMA,
    Check: HEALTH_CHECK_SCHEMA,
    Checks: { array: HEALTH_CHECK_SCHEMA },
    SkipNodeUpdate: 'bool',
    Locality: 'any',
    PeerName: 'string',
    Partition: 'string',
    Token: 'string',
  },
};

export const DEREGISTER_SCHEMA: ObjectSchema = {
  name: 'DeregisterRequest',
  refused: NS_REFUSED,
  fields: {
    Datacenter: 'string',
    Node: 'string',
    ServiceID: 'string',
    CheckID: 'string',
    Address: 'string',
    PeerName: 'string',
    Partition: 'string',
    Token: 'string',
  },
};

export type Raw = Record<string, unknown>;
