// The agent configuration schema: the single source of keys, types, defaults, flags, env vars and docs.
import { hostname } from 'node:os';

export type FieldType = 'string' | 'int' | 'uint32' | 'bool' | 'duration' | { enum: readonly string[] } | { durationMap: true };

export interface FieldSpec {
  /** Dotted path in the JSON config file, e.g. `ports.http`. */
  key: string;
  type: FieldType;
  default: string | number | boolean | Record<string, number> | undefined;
  /** Command-line flag of `isthmus agent` (without dashes). */
  flag?: string;
  env?: string;
  doc: string;
}

export const DEFAULT_DATACENTER = 'dc1';
export const DEFAULT_BIND = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 8500;
export const DEFAULT_GRPC_TLS_PORT = 8503;
export const DEFAULT_SERVER_PORT = 8300;

export const CONFIG_FIELDS: readonly FieldSpec[] = [
  { key: 'datacenter', type: 'string', default: DEFAULT_DATACENTER, flag: 'datacenter', env: 'ISTHMUS_DATACENTER', doc: 'Datacenter this agent belongs to.' },
  { key: 'node_name', type: 'string', default: undefined, flag: 'node', env: 'ISTHMUS_NODE_NAME', doc: 'Name of this node (default: the host name).' },
  { key: 'data_dir', type: 'string', default: undefined, flag: 'data-dir', env: 'ISTHMUS_DATA_DIR', doc: 'Directory for durable state (required without --dev).' },
  { key: 'bind_addr', type: 'string', default: DEFAULT_BIND, flag: 'bind', env: 'ISTHMUS_BIND_ADDR', doc: 'Address every listener binds to.' },
  { key: 'ports.http', type: 'int', default: DEFAULT_HTTP_PORT, flag: 'http-port', doc: 'HTTP API port (0 picks a free port).' },
  { key: 'ports.grpc_tls', type: 'int', default: DEFAULT_GRPC_TLS_PORT, flag: 'grpc-tls-port', doc: 'External gRPC TLS port (peering, dataplane).' },
  { key: 'ports.dns', type: 'int', default: 8600, flag: 'dns-port', doc: 'DNS port, UDP and TCP (0 picks a free port).' },
  { key: 'domain', type: 'string', default: 'consul', doc: 'DNS domain served.' },
  { key: 'alt_domain', type: 'string', default: '', doc: 'A second DNS domain also served (answers use the domain asked).' },
  { key: 'dns_config.udp_answer_limit', type: 'int', default: 3, doc: 'Most answers in a UDP response without EDNS (at most 8 are ever sent).' },
  { key: 'dns_config.enable_truncate', type: 'bool', default: false, doc: 'Set the TC bit when a UDP answer was cut to fit.' },
  { key: 'dns_config.a_record_limit', type: 'int', default: 0, doc: 'Most A/AAAA records in a service answer (0 = no limit).' },
  { key: 'dns_config.only_passing', type: 'bool', default: false, doc: 'Leave out instances with warning checks too (critical ones always are).' },
  { key: 'dns_config.node_ttl', type: 'duration', default: 0, doc: 'TTL of node, address, NS and service records.' },
  { key: 'dns_config.service_ttl', type: { durationMap: true }, default: undefined, doc: 'TTL of service records by name: exact names or prefixes ending in "*" ("*" = all); others use node_ttl.' },
  { key: 'dns_config.enable_additional_node_meta_txt', type: 'bool', default: true, doc: 'Add node-meta TXT records to ADDITIONAL of SRV and node answers.' },
  { key: 'dns_config.soa.refresh', type: 'uint32', default: 3600, doc: 'SOA refresh, seconds.' },
  { key: 'dns_config.soa.retry', type: 'uint32', default: 600, doc: 'SOA retry, seconds.' },
  { key: 'dns_config.soa.expire', type: 'uint32', default: 86400, doc: 'SOA expire, seconds.' },
  { key: 'dns_config.soa.min_ttl', type: 'uint32', default: 0, doc: 'SOA minimum (negative-answer TTL), seconds.' },
  { key: 'ports.server', type: 'int', default: DEFAULT_SERVER_PORT, flag: 'server-port', doc: 'Server RPC port reported by /v1/status/leader.' },
  { key: 'log_level', type: { enum: ['trace', 'debug', 'info', 'warn', 'error'] }, default: 'info', flag: 'log-level', env: 'ISTHMUS_LOG_LEVEL', doc: 'Least severe level logged.' },
  { key: 'log_json', type: 'bool', default: false, flag: 'log-json', doc: 'Write logs as JSON lines.' },
  { key: 'dev', type: 'bool', default: false, flag: 'dev', doc: 'Development mode: in-memory store, loopback, everything enabled.' },
  { key: 'server', type: 'bool', default: true, doc: 'Run as a server (the only mode so far).' },
  { key: 'check_reap_interval', type: 'duration', default: 30_000, doc: 'How often services with long-critical checks are reaped.' },
  { key: 'check_deregister_interval_min', type: 'duration', default: 60_000, doc: 'Lower bound of DeregisterCriticalServiceAfter.' },
  { key: 'peering.enabled', type: 'bool', default: true, doc: 'Serve the peering API and peer streams.' },
  { key: 'peering.heartbeat_interval', type: 'duration', default: 15_000, doc: 'How often each side of a peer stream sends a heartbeat.' },
  { key: 'peering.heartbeat_timeout', type: 'duration', default: 120_000, doc: 'A peer stream with no heartbeat for this long is ended (and redialed).' },
  { key: 'ui_config.enabled', type: 'bool', default: undefined, flag: 'ui', doc: 'Serve the web UI at /ui/ on the HTTP port (default: on with --dev).' },
  { key: 'store.etcd.endpoints', type: 'string', default: undefined, flag: 'etcd-endpoints', env: 'ISTHMUS_ETCD_ENDPOINTS', doc: 'etcd client URLs, comma-separated: several servers share this etcd (high availability).' },
  { key: 'store.etcd.prefix', type: 'string', default: undefined, flag: 'etcd-prefix', doc: 'Key prefix of this cluster in etcd (default "isthmus/<datacenter>/").' },
  { key: 'store.etcd.tls.ca_file', type: 'string', default: undefined, doc: 'PEM CA of the etcd servers (https endpoints).' },
  { key: 'store.etcd.tls.cert_file', type: 'string', default: undefined, doc: 'PEM client certificate for etcd.' },
  { key: 'store.etcd.tls.key_file', type: 'string', default: undefined, doc: 'PEM client key for etcd.' },
  { key: 'store.etcd.lease_ttl', type: 'duration', default: 5_000, doc: 'Leader lease TTL: a dead leader is replaced within this.' },
  { key: 'acl.enabled', type: 'bool', default: false, doc: 'Enforce ACLs.' },
  { key: 'acl.default_policy', type: { enum: ['allow', 'deny'] }, default: 'allow', doc: 'What a token may do where no rule says (and the default intention decision).' },
  { key: 'acl.tokens.initial_management', type: 'string', default: undefined, doc: 'Secret of a management token created at start (instead of bootstrapping).' },
];

/** The resolved configuration: every field filled. */
export interface AgentConfig {
  datacenter: string;
  nodeName: string;
  dataDir: string | undefined;
  bindAddr: string;
  ports: { http: number; grpcTls: number; server: number; dns: number };
  domain: string;
  altDomain: string;
  dns: {
    udpAnswerLimit: number;
    enableTruncate: boolean;
    aRecordLimit: number;
    onlyPassing: boolean;
    nodeTtlMs: number;
    /** service_ttl: name or `prefix*` → milliseconds. */
    serviceTtlMs: Record<string, number>;
    enableAdditionalNodeMetaTxt: boolean;
    soa: { refresh: number; retry: number; expire: number; minTtl: number };
  };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  logJson: boolean;
  dev: boolean;
  server: boolean;
  checkReapIntervalMs: number;
  checkDeregisterIntervalMinMs: number;
  peering: { enabled: boolean; heartbeatIntervalMs: number; heartbeatTimeoutMs: number };
  ui: { enabled: boolean };
  acl: { enabled: boolean; defaultPolicy: 'allow' | 'deny'; initialManagement: string | undefined };
  /** Present when the store is etcd (several servers per cluster). */
  etcd?: EtcdConfig;
}

export interface EtcdConfig {
  endpoints: string[];
  prefix: string;
  tls: { caFile: string | undefined; certFile: string | undefined; keyFile: string | undefined };
  leaseTtlMs: number;
}

export function defaultNodeName(): string {
  return hostname().split('.')[0] || 'isthmus';
}
