// Reads service definition files the way `consul services register` does (JSON; service or services).
import { readFileSync } from 'node:fs';
import { parseJsonText } from '../../../lib/json-decode.js';
import { setOwn } from '../../../lib/safe-object.js';
import type { ServiceDefinition } from '../../../sdk/client.js';
import { UsageError } from '../../command.js';

function pascal(key: string): string {
  return key
    .split('_')
    .map((p) => (p ? (p[0] as string).toUpperCase() + p.slice(1) : p))
    .join('');
}

/** Consul files use lowercase/snake keys; the API takes PascalCase (maps such as meta keep their keys). */
function toApiKeys(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toApiKeys(v));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = keepKeys ? k : pascal(k);
    const mapLike = ['Meta', 'NodeMeta', 'Header', 'TaggedAddresses'].includes(key);
    setOwn(out, key, mapLike && key !== 'TaggedAddresses' ? v : toApiKeys(v, false));
  }
  return out;
}

export function readServiceDefinitions(path: string): ServiceDefinition[] {
  if (/\.hcl$/i.test(path)) throw new UsageError(`cannot read "${path}": HCL service files are not supported yet; use JSON`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read "${path}": ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseJsonText(text); // nesting bounded: toApiKeys recurses
  } catch (err) {
    throw new UsageError(`cannot parse "${path}" as JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`"${path}" must hold a JSON object`);
  const obj = parsed as Record<string, unknown>;
  const list = obj.service !== undefined ? [obj.service] : Array.isArray(obj.services) ? obj.services : [obj];
  return list.map((s) => toApiKeys(s) as ServiceDefinition);
}
