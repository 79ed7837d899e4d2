// Strict, schema-driven JSON decoding with Go encoding/json semantics: case-insensitive keys,
// snake_case aliases, unknown fields refused, type errors named the way Consul's clients expect.
import { durationFromJson } from './duration.js';
import { depthMessage, MAX_NESTING_DEPTH, textNestingExceeds } from './nesting.js';
import { ownValue, setOwn } from './safe-object.js';

/** A field type in a decode schema. */
export type FieldType =
  | 'string'
  | 'bool'
  | 'int'
  | 'duration'
  | 'any'
  | { map: FieldType }
  | { array: FieldType }
  | ObjectSchema;

/** An object type: its Go-ish name (for messages) and its fields by canonical name. */
export interface ObjectSchema {
  name: string;
  fields: Record<string, FieldType>;
  /** Keys that get a dedicated message instead of `unknown field`. */
  refused?: Record<string, string>;
  /** Ignore unknown keys instead of refusing them (Go's default json.Unmarshal). */
  ignoreUnknown?: boolean;
}

/** Thrown by decode(); `message` is Go's text, without the endpoint-specific prefix. */
export class DecodeError extends Error {}

function normalize(key: string): string {
  return key.replace(/_/g, '').toLowerCase();
}

const lookupCache = new WeakMap<ObjectSchema, Map<string, string>>();
function lookup(schema: ObjectSchema): Map<string, string> {
  let m = lookupCache.get(schema);
  if (!m) {
    m = new Map(Object.keys(schema.fields).map((k) => [normalize(k), k]));
    lookupCache.set(schema, m);
  }
  return m;
}

function goType(t: FieldType): string {
  if (typeof t === 'string') {
    return { string: 'string', bool: 'bool', int: 'int', duration: 'time.Duration', any: 'interface {}' }[t];
  }
  if ('map' in t) return `map[string]${goType(t.map)}`;
  if ('array' in t) return `[]${goType(t.array)}`;
  return `structs.${t.name}`;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

function mismatch(v: unknown, t: FieldType, path: string): DecodeError {
  return new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${path} of type ${goType(t)}`);
}

function decodeValue(value: unknown, t: FieldType, path: string): unknown {
  let v = value;
  // Go leaves a field at its zero value when JSON says null.
  if (v === null) return undefined;
  if (t === 'any') return v;
  if (t === 'string') {
    if (typeof v !== 'string') throw mismatch(v, t, path);
    return v;
  }
  if (t === 'bool') {
    if (typeof v !== 'boolean') throw mismatch(v, t, path);
    return v;
  }
  if (t === 'int') {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw mismatch(v, t, path);
    return v;
  }
  if (t === 'duration') {
    const ms = durationFromJson(v);
    if (ms === undefined) {
      if (typeof v === 'string') throw new DecodeError(`time: invalid duration "${v}"`);
      throw mismatch(v, t, path);
    }
    return ms;
  }
  // HCL block syntax arrives (through hcl2json) as a one-element list of objects: accept it as the object.
  if (typeof t === 'object' && !('array' in t) && Array.isArray(v) && v.length === 1 && typeof v[0] === 'object' && v[0] !== null) {
    v = v[0];
  }
  if ('map' in t) {
    if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(v, t, path);
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
      const d = decodeValue(inner, t.map, path);
      if (d !== undefined) setOwn(out, k, d);
    }
    return out;
  }
  if ('array' in t) {
    if (!Array.isArray(v)) throw mismatch(v, t, path);
    return v.map((item) => decodeValue(item, t.array, path));
  }
  return decodeObject(v, t, path);
}

function decodeObject(v: unknown, schema: ObjectSchema, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw mismatch(v, schema, path || schema.name);
  const names = lookup(schema);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(v as Record<string, unknown>)) {
    const refusedMsg = ownValue(schema.refused, key);
    if (refusedMsg !== undefined) throw new DecodeError(refusedMsg);
    const canonical = names.get(normalize(key));
    if (canonical === undefined) {
      if (schema.ignoreUnknown) continue;
      throw new DecodeError(`json: unknown field "${key}"`);
    }
    const fieldType = schema.fields[canonical] as FieldType;
    const d = decodeValue(inner, fieldType, `${schema.name}.${canonical}`);
    if (d !== undefined) out[canonical] = d;
  }
  return out;
}

/** Parses JSON text (syntax errors worded like Go's) without schema checks; nesting is bounded. */
export function parseJsonText(text: string, maxDepth = MAX_NESTING_DEPTH): unknown {
  if (text.trim() === '') throw new DecodeError('EOF');
  if (textNestingExceeds(text, maxDepth)) throw new DecodeError(depthMessage(maxDepth));
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = (err as Error).message;
    const pos = /at position (\d+)/.exec(detail);
    const atEnd = pos !== null && Number(pos[1]) >= text.trimEnd().length;
    if (atEnd || /end of (json )?(data|input)/i.test(detail)) throw new DecodeError('unexpected EOF');
    throw new DecodeError(`invalid character: ${detail}`);
  }
}

/** Decodes JSON text against a schema; throws DecodeError with Go-worded messages. */
export function decodeJson<T>(text: string, schema: ObjectSchema): T {
  return decodeObject(parseJsonText(text), schema, '') as T;
}

/** Decodes an already-parsed value against a schema (callers bound its nesting first). */
export function decodeValueAs<T>(value: unknown, schema: ObjectSchema): T {
  return decodeObject(value, schema, '') as T;
}
