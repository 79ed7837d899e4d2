// Pure KV rules: query parameters, key names, size limits, the keys/separator listing and rendering.
import { IsthmusError, invalid } from '../../lib/errors.js';
import type { KvEntry, RenderedEntry } from './types.js';

/** Consul's `limits.kv_max_value_size` and `txn_max_req_len` defaults. */
export const KV_MAX_VALUE_SIZE = 524288;
export const TXN_MAX_REQ_LEN = 524288;
/** Consul's `maxTxnOps` since 1.14. */
export const TXN_MAX_OPS = 128;

const KV_SIZE_DOC = 'https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size';
const TXN_SIZE_DOC = 'https://www.consul.io/docs/agent/config/config-files#txn_max_req_len';

function tooLarge(message: string): IsthmusError {
  return new IsthmusError('RESOURCE_EXHAUSTED', message, { httpStatus: 413 });
}

export function valueTooLarge(bytes: number, max = KV_MAX_VALUE_SIZE): IsthmusError {
  return tooLarge(`Request body(${bytes} bytes) too large, max size: ${max} bytes. See ${KV_SIZE_DOC}.`);
}

export function txnTooLarge(bytes: number, max = Math.max(TXN_MAX_REQ_LEN, KV_MAX_VALUE_SIZE)): IsthmusError {
  return tooLarge(`Request body(${bytes} bytes) too large, max size: ${max} bytes. See ${TXN_SIZE_DOC}.`);
}

export function txnTooManyOps(n: number, max = TXN_MAX_OPS): IsthmusError {
  return tooLarge(`Transaction contains too many operations (${n} > ${max})`);
}

export function txnValueTooLarge(key: string, bytes: number, max = KV_MAX_VALUE_SIZE): IsthmusError {
  return tooLarge(`Value for key ${JSON.stringify(key)} is too large (${bytes} > ${max} bytes)`);
}

/** Go's strconv.ParseUint(v, 10, 64) limited to what a JS number holds exactly. */
export function parseUint(name: string, v: string): number {
  if (!/^\d+$/.test(v)) return badUint(name, v, 'invalid syntax');
  const n = Number(v);
  if (!Number.isSafeInteger(n)) return badUint(name, v, 'value out of range');
  return n;
}

function badUint(name: string, v: string, why: string): never {
  throw invalid(`Invalid ${name}: strconv.ParseUint: parsing ${JSON.stringify(v)}: ${why}`);
}

/**
 * Key names: no `..` path segment (also URL-encoded, decoded before this) and no leading or
 * trailing space, as Consul's CVE-2025-11392 fix refuses. The empty key is checked per method.
 */
export function checkKeyName(key: string): void {
  if (key.split('/').some((seg) => seg === '..')) throw invalid(`Invalid key name ${JSON.stringify(key)}: path traversal ("..") is not allowed`);
  if (key !== key.trim()) throw invalid(`Invalid key name ${JSON.stringify(key)}: leading or trailing whitespace is not allowed`);
}

/** Consul's `Conflicting flags: <raw query>` when more than one of `names` is present. */
export function conflictingFlags(query: Record<string, unknown>, rawQuery: string, names: readonly string[]): void {
  if (names.filter((n) => query[n] !== undefined).length > 1) throw invalid(`Conflicting flags: ${rawQuery}\n`);
}

/**
 * `?keys` with `?separator`: each key below `prefix` is cut just after the first separator past the
 * prefix, and repeats are dropped (input sorted; Consul's state store KVSKeys).
 */
export function listKeys(sortedKeys: readonly string[], prefix: string, separator: string): string[] {
  const out: string[] = [];
  let last: string | undefined;
  for (const k of sortedKeys) {
    if (separator === '') {
      out.push(k);
      continue;
    }
    const i = k.indexOf(separator, prefix.length);
    if (i < 0) {
      out.push(k);
      last = undefined;
      continue;
    }
    const cut = k.slice(0, i + separator.length);
    if (cut !== last) out.push(cut);
    last = cut;
  }
  return out;
}

export function renderEntry(e: KvEntry, withValue = true): RenderedEntry {
  return {
    LockIndex: e.lockIndex,
    Key: e.key,
    Flags: e.flags,
    Value: withValue && e.value.length > 0 ? e.value.toString('base64') : null,
    ...(e.session ? { Session: e.session } : {}),
    CreateIndex: e.createIndex,
    ModifyIndex: e.modifyIndex,
  };
}

/** Strict standard base64 (Go's encoding/json for []byte); returns the decoded bytes. */
export function decodeBase64(text: string): Buffer {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) throw invalid(`Failed to parse body: illegal base64 data at input byte ${bad.index}`);
  if (text.length % 4 !== 0) throw invalid(`Failed to parse body: illegal base64 data at input byte ${text.length - (text.length % 4)}`);
  const pad = text.indexOf('=');
  if (pad >= 0 && (pad < text.length - 2 || /[^=]/.test(text.slice(pad)))) throw invalid(`Failed to parse body: illegal base64 data at input byte ${pad}`);
  return Buffer.from(text, 'base64');
}

/** What one element of a `/v1/txn` body asks for. */
export type TxnElement = { kind: 'kv'; op: import('./types.js').KvOp } | { kind: 'unsupported'; what: 'Node' | 'Service' | 'Check'; verb: string } | { kind: 'unknown-verb'; verb: string };

/** Field lookup the way Go's encoding/json matches struct fields: case-insensitively. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function asObject(v: unknown, where: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`Failed to parse body: json: cannot unmarshal ${goType(v)} into Go value of type ${where}`);
  return v as Record<string, unknown>;
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function uintField(kv: Record<string, unknown>, name: string): number | undefined {
  const v = field(kv, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalid(`Failed to parse body: json: cannot unmarshal ${goType(v)} into Go struct field KVTxnOp.KV.${name} of type uint64`);
  }
  return v;
}

function stringField(kv: Record<string, unknown>, name: string): string {
  const v = field(kv, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalid(`Failed to parse body: json: cannot unmarshal ${goType(v)} into Go struct field KVTxnOp.KV.${name} of type string`);
  return v;
}

/**
 * Decodes a `/v1/txn` body (a JSON array of operations). Elements with none of KV/Node/Service/Check
 * are dropped, as Consul does; limits on count and value size are checked here too.
 */
export function decodeTxnBody(text: string, verbs: readonly string[]): TxnElement[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(`Failed to parse body: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw invalid(`Failed to parse body: json: cannot unmarshal ${goType(raw)} into Go value of type api.TxnOps`);
  if (raw.length > TXN_MAX_OPS) throw txnTooManyOps(raw.length);
  const elements: TxnElement[] = [];
  for (const item of raw) {
    const obj = asObject(item, 'api.TxnOp');
    if (!obj) continue;
    const kv = asObject(field(obj, 'KV'), 'api.KVTxnOp');
    if (kv) {
      const verb = stringField(kv, 'Verb');
      const key = stringField(kv, 'Key');
      const rawValue = field(kv, 'Value');
      if (rawValue !== undefined && rawValue !== null && typeof rawValue !== 'string') {
        throw invalid(`Failed to parse body: json: cannot unmarshal ${goType(rawValue)} into Go struct field KVTxnOp.KV.Value of type []uint8`);
      }
      const value = typeof rawValue === 'string' ? decodeBase64(rawValue) : Buffer.alloc(0);
      if (value.length > KV_MAX_VALUE_SIZE) throw txnValueTooLarge(key, value.length);
      const flags = uintField(kv, 'Flags');
      const index = uintField(kv, 'Index');
      const session = stringField(kv, 'Session');
      if (!verbs.includes(verb)) {
        elements.push({ kind: 'unknown-verb', verb });
        continue;
      }
      elements.push({ kind: 'kv', op: { verb: verb as import('./types.js').KvVerb, key, value, ...(flags !== undefined ? { flags } : {}), ...(index !== undefined ? { index } : {}), ...(session ? { session } : {}) } });
      continue;
    }
    for (const what of ['Node', 'Service', 'Check'] as const) {
      const o = asObject(field(obj, what), `api.${what}TxnOp`);
      if (o) {
          elements.push({ kind: 'unsupported', what, verb: stringField(o, 'Verb') });
        break;
      }
    }
  }
  return elements;
}
