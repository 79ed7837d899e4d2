// Built-in policies and the rules that service and node identities imply (Consul's templates).
import type { PolicyRules } from './rules.js';
import { GLOBAL_MANAGEMENT_ID, GLOBAL_READ_ONLY_ID, type PolicyRecord } from './types.js';

const READ_ALL_RULES = `acl = "read"
agent_prefix "" {
  policy = "read"
}
event_prefix "" {
  policy = "read"
}
key_prefix "" {
  policy = "read"
}
keyring = "read"
node_prefix "" {
  policy = "read"
}
operator = "read"
mesh = "read"
peering = "read"
query_prefix "" {
  policy = "read"
}
service_prefix "" {
  policy = "read"
  intentions = "read"
}
session_prefix "" {
  policy = "read"
}
`;

const read = { policy: 'read' as const };

export const GLOBAL_MANAGEMENT: PolicyRecord = {
  ID: GLOBAL_MANAGEMENT_ID,
  Name: 'global-management',
  Description: 'Builtin Policy that grants unlimited access',
  Rules: 'acl = "write"\nagent_prefix "" {\n  policy = "write"\n}\nmesh = "write"\npeering = "write"\noperator = "write"\nnode_prefix "" {\n  policy = "write"\n}\nservice_prefix "" {\n  policy = "write"\n  intentions = "write"\n}\n',
  Datacenters: [],
  parsed: { labelled: {}, unlabelled: {} },
};

export const GLOBAL_READ_ONLY: PolicyRecord = {
  ID: GLOBAL_READ_ONLY_ID,
  Name: 'builtin/global-read-only',
  Description: 'Builtin Policy that grants unlimited read-only access to all components',
  Rules: READ_ALL_RULES,
  Datacenters: [],
  parsed: {
    labelled: {
      agent: { exact: {}, prefix: { '': read } },
      event: { exact: {}, prefix: { '': read } },
      key: { exact: {}, prefix: { '': read } },
      node: { exact: {}, prefix: { '': read } },
      query: { exact: {}, prefix: { '': read } },
      service: { exact: {}, prefix: { '': { policy: 'read', intentions: 'read' } } },
      session: { exact: {}, prefix: { '': read } },
    },
    unlabelled: { acl: 'read', keyring: 'read', operator: 'read', mesh: 'read', peering: 'read' },
  },
};

/** Service identity: write on the service and its sidecar, read on every service and node. */
export function serviceIdentityRules(name: string): PolicyRules {
  return {
    labelled: {
      service: { exact: { [name]: { policy: 'write' }, [`${name}-sidecar-proxy`]: { policy: 'write' } }, prefix: { '': read } },
      node: { exact: {}, prefix: { '': read } },
    },
    unlabelled: {},
  };
}

/** Node identity: write on the node, read on every service. */
export function nodeIdentityRules(name: string): PolicyRules {
  return {
    labelled: { node: { exact: { [name]: { policy: 'write' } }, prefix: {} }, service: { exact: {}, prefix: { '': read } } },
    unlabelled: {},
  };
}
