// Decode schema of PUT /v1/agent/service/register (Consul's ServiceDefinition, snake_case accepted).
import type { ObjectSchema } from '../../lib/json-decode.js';
import { SERVICE_ADDRESS_SCHEMA, WEIGHTS_SCHEMA } from '../catalog/schema.js';
import { AGENT_CHECK_SCHEMA, type AgentCheckInput } from '../health-checks/definition.js';

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
    Proxy: 'any',
    Connect: 'any',
    Locality: 'any',
    Partition: 'string',
  },
};

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
  Proxy?: Record<string, unknown>;
  Connect?: Record<string, unknown>;
  Locality?: unknown;
}
