// Resolves the agent configuration: flags > env > config file > defaults, with one validator.
import { readFileSync } from 'node:fs';
import { parseGoDuration } from '../../lib/duration.js';
import { invalid } from '../../lib/errors.js';
import { CONFIG_FIELDS, defaultNodeName, type AgentConfig, type FieldSpec } from './schema.js';

export type RawValues = Record<string, string | number | boolean | Record<string, unknown>>;

const NAME_RE = /^[a-zA-Z0-9_-]+$/;

type Value = string | number | boolean | Record<string, number>;

function coerce(spec: FieldSpec, value: unknown, source: string): Value {
  const t = spec.type;
  const bad = (why: string): never => {
    throw invalid(`invalid configuration: ${source} "${spec.key}": ${why}`);
  };
  if (t === 'string') return typeof value === 'string' ? value : bad(`expected a string, got ${JSON.stringify(value)}`);
  if (t === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return bad(`expected true or false, got ${JSON.stringify(value)}`);
  }
  if (t === 'int') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535) return bad(`expected a port number 0-65535, got ${JSON.stringify(value)}`);
    return n;
  }
  if (t === 'uint32') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return bad(`expected a whole number 0-4294967295, got ${JSON.stringify(value)}`);
    return n;
  }
  if (t === 'duration') {
    const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseGoDuration(value) : undefined;
    if (ms === undefined || ms < 0) return bad(`expected a duration like "30s", got ${JSON.stringify(value)}`);
    return ms;
  }
  if ('durationMap' in t) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`expected an object of durations, got ${JSON.stringify(value)}`);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(value)) {
      const ms = typeof v === 'string' ? parseGoDuration(v) : undefined;
      if (ms === undefined || ms < 0) return bad(`"${k}": expected a duration like "30s", got ${JSON.stringify(v)}`);
      out[k] = ms;
    }
    return out;
  }
  if (typeof value !== 'string' || !t.enum.includes(value)) return bad(`expected one of ${t.enum.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** Flattens a parsed config file into dotted keys, rejecting keys the schema does not know. */
export function flattenConfigFile(obj: unknown, file: string): RawValues {
  const known = new Set(CONFIG_FIELDS.map((f) => f.key));
  const prefixes = new Set(CONFIG_FIELDS.flatMap((f) => f.key.split('.').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('.'))));
  const out: RawValues = {};
  const walk = (o: unknown, path: string): void => {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid(`invalid configuration file "${file}": "${path || '(root)'}" must be an object`);
    for (const [k, v] of Object.entries(o)) {
      const key = path ? `${path}.${k}` : k;
      if (known.has(key)) out[key] = Array.isArray(v) ? v.join(',') : (v as RawValues[string]);
      else if (prefixes.has(key)) walk(v, key);
      else throw invalid(`invalid configuration file "${file}": unknown key "${key}"`);
    }
  };
  walk(obj, '');
  return out;
}

export function readConfigFile(path: string): RawValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`cannot read configuration file "${path}": ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`cannot parse configuration file "${path}" as JSON: ${(err as Error).message}`);
  }
  return flattenConfigFile(parsed, path);
}

export interface ConfigSources {
  /** Values from flags, keyed by flag name. */
  flags?: Record<string, string | boolean | undefined>;
  env?: Record<string, string | undefined>;
  /** Values from the config file, keyed by dotted key. */
  file?: RawValues;
}

/** Merges the sources with precedence flags > env > file > defaults and validates the result. */
export function resolveAgentConfig(sources: ConfigSources): AgentConfig {
  const v: Record<string, Value | undefined> = {};
  for (const f of CONFIG_FIELDS) {
    let value: Value | undefined = f.default;
    const fileValue = sources.file?.[f.key];
    if (fileValue !== undefined) value = coerce(f, fileValue, 'config key');
    const envValue = f.env ? sources.env?.[f.env] : undefined;
    if (envValue !== undefined && envValue !== '') value = coerce(f, envValue, `env ${f.env}`);
    const flagValue = f.flag ? sources.flags?.[f.flag] : undefined;
    if (flagValue !== undefined) value = coerce(f, flagValue, `flag --${f.flag}`);
    v[f.key] = value;
  }
  const config: AgentConfig = {
    datacenter: v.datacenter as string,
    nodeName: (v.node_name as string | undefined) ?? defaultNodeName(),
    dataDir: v.data_dir as string | undefined,
    bindAddr: v.bind_addr as string,
    ports: { http: v['ports.http'] as number, grpcTls: v['ports.grpc_tls'] as number, server: v['ports.server'] as number, dns: v['ports.dns'] as number },
    domain: v.domain as string,
    altDomain: v.alt_domain as string,
    dns: {
      udpAnswerLimit: v['dns_config.udp_answer_limit'] as number,
      enableTruncate: v['dns_config.enable_truncate'] as boolean,
      aRecordLimit: v['dns_config.a_record_limit'] as number,
      onlyPassing: v['dns_config.only_passing'] as boolean,
      nodeTtlMs: v['dns_config.node_ttl'] as number,
      serviceTtlMs: (v['dns_config.service_ttl'] as Record<string, number> | undefined) ?? {},
      enableAdditionalNodeMetaTxt: v['dns_config.enable_additional_node_meta_txt'] as boolean,
      soa: {
        refresh: v['dns_config.soa.refresh'] as number,
        retry: v['dns_config.soa.retry'] as number,
        expire: v['dns_config.soa.expire'] as number,
        minTtl: v['dns_config.soa.min_ttl'] as number,
      },
    },
    logLevel: v.log_level as AgentConfig['logLevel'],
    logJson: v.log_json as boolean,
    dev: v.dev as boolean,
    server: v.server as boolean,
    checkReapIntervalMs: v.check_reap_interval as number,
    checkDeregisterIntervalMinMs: v.check_deregister_interval_min as number,
    peering: {
      enabled: v['peering.enabled'] as boolean,
      heartbeatIntervalMs: v['peering.heartbeat_interval'] as number,
      heartbeatTimeoutMs: v['peering.heartbeat_timeout'] as number,
    },
    ui: { enabled: (v['ui_config.enabled'] as boolean | undefined) ?? (v.dev as boolean) },
    acl: {
      enabled: v['acl.enabled'] as boolean,
      defaultPolicy: v['acl.default_policy'] as 'allow' | 'deny',
      initialManagement: v['acl.tokens.initial_management'] as string | undefined,
    },
  };
  const endpoints = ((v['store.etcd.endpoints'] as string | undefined) ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length > 0) {
    for (const e of endpoints) if (!/^https?:\/\/[^/\s]+\/?$/.test(e)) throw invalid(`invalid configuration: etcd endpoint "${e}" must look like http://host:port`);
    const prefix = (v['store.etcd.prefix'] as string | undefined) ?? `isthmus/${config.datacenter}/`;
    if (prefix === '') throw invalid('invalid configuration: store.etcd.prefix cannot be empty');
    const ttl = v['store.etcd.lease_ttl'] as number;
    if (ttl < 1000) throw invalid('invalid configuration: store.etcd.lease_ttl must be at least 1s');
    config.etcd = {
      endpoints,
      prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
      tls: { caFile: v['store.etcd.tls.ca_file'] as string | undefined, certFile: v['store.etcd.tls.cert_file'] as string | undefined, keyFile: v['store.etcd.tls.key_file'] as string | undefined },
      leaseTtlMs: ttl,
    };
  }
  if (!config.datacenter || !NAME_RE.test(config.datacenter)) {
    throw invalid(`invalid configuration: datacenter "${config.datacenter}" may contain only letters, digits, "-" and "_"`);
  }
  if (!config.nodeName) throw invalid('invalid configuration: node name cannot be empty');
  if (!config.dev && !config.dataDir && !config.etcd) throw invalid('invalid configuration: data_dir (--data-dir) is required unless --dev is set (or --etcd-endpoints)');
  if (!config.server) throw invalid('invalid configuration: only server mode is supported; set "server" to true');
  return config;
}
