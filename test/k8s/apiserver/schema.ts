// Structural-schema validation of custom resources, with the API server's messages: type, required and enum
// errors (422 Invalid with details.causes); unknown fields are pruned, or refused under fieldValidation=Strict.
import type { Json } from './types.js';

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);

/** Validates `value` against `schema` in place: appends causes, prunes unknown fields (recording their paths). */
export function validate(value: unknown, schema: Json, path: string, causes: Cause[], unknown: string[]): void {
  if (value === null || value === undefined) {
    if (value === null && !schema.nullable && schema.type) causes.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "null": ${path} in body must be of type ${String(schema.type)}: "null"`, field: path });
    return;
  }
  const want = schema.type as string | undefined;
  const got = typeOf(value);
  if (want && !(want === got || (want === 'number' && got === 'integer'))) {
    causes.push({ reason: 'FieldValueTypeInvalid', message: `Invalid value: "${got}": ${path} in body must be of type ${want}: "${got}"`, field: path });
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`, field: path });
  }
  if (got === 'array' && schema.items) {
    (value as unknown[]).forEach((item, i) => validate(item, schema.items as Json, `${path}[${i}]`, causes, unknown));
  }
  if (got === 'object') {
    const obj = value as Record<string, unknown>;
    for (const req of (schema.required as string[] | undefined) ?? []) {
      if (obj[req] === undefined) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: path ? `${path}.${req}` : req });
    }
    const props = schema.properties as Record<string, Json> | undefined;
    const additional = schema.additionalProperties;
    for (const [k, v] of Object.entries(obj)) {
      const sub = path ? `${path}.${k}` : k;
      if (props && props[k]) validate(v, props[k], sub, causes, unknown);
      else if (additional && typeof additional === 'object') validate(v, additional as Json, sub, causes, unknown);
      else if (!schema['x-kubernetes-preserve-unknown-fields'] && additional !== true && (props || !additional)) {
        unknown.push(sub);
        delete obj[k];
      }
    }
  }
}

const STANDARD_META = new Set(['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields', 'selfLink']);

/** Validates a whole custom resource (apiVersion, kind and metadata are the server's business). */
export function validateCustomResource(obj: Json, schema: Json): { causes: Cause[]; unknown: string[] } {
  const causes: Cause[] = [];
  const unknown: string[] = [];
  const props = (schema.properties as Record<string, Json> | undefined) ?? {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'metadata') {
      for (const mk of Object.keys(v as Json)) {
        if (!STANDARD_META.has(mk)) {
          unknown.push(`metadata.${mk}`);
          delete (v as Json)[mk];
        }
      }
      continue;
    }
    if (props[k]) validate(v, props[k], k, causes, unknown);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      unknown.push(k);
      delete obj[k];
    }
  }
  for (const req of (schema.required as string[] | undefined) ?? []) {
    if (obj[req] === undefined) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: req });
  }
  return { causes, unknown };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** metadata.name must be a DNS-1123 subdomain (as for every custom resource). */
export function nameCauses(name: string): Cause[] {
  if (name.length <= 253 && DNS1123_SUBDOMAIN.test(name)) return [];
  return [
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      field: 'metadata.name',
    },
  ];
}
