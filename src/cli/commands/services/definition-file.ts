// Reads service definition files the way `consul services register` does (JSON or HCL; service or services).
import { readFileSync } from 'node:fs';
import type { ServiceDefinition } from '../../../sdk/client.js';
import { parseJsonOrHcl } from '../../../lib/hcl.js';
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
    out[key] = mapLike && key !== 'TaggedAddresses' ? v : toApiKeys(v, false);
  }
  return out;
}

/** Keys whose HCL blocks are lists even with one element; any other one-block list is unwrapped. */
const LIST_BLOCKS = new Set(['services', 'checks', 'upstreams', 'paths']);

/** HCL blocks come back as lists of objects: turn single blocks back into objects, as Consul's decoder does. */
export function unwrapBlocks(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => unwrapBlocks(v));
    const single = items.length === 1 && typeof items[0] === 'object' && items[0] !== null && !Array.isArray(items[0]);
    return single && !LIST_BLOCKS.has(key) ? items[0] : items;
  }
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapBlocks(v, k)]));
}

/** Reads a Consul service definition file (JSON or HCL, `service` or `services`), API-cased. */
export async function readServiceDefinitions(path: string): Promise<ServiceDefinition[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`Error reading file: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `open ${path}: no such file or directory` : (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = await parseJsonOrHcl(text, path);
  } catch (err) {
    throw new UsageError(`Error parsing file ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`Error parsing file ${path}: expected an object`);
  const obj = unwrapBlocks(parsed) as Record<string, unknown>;
  const list: unknown[] = [];
  for (const key of ['service', 'services']) {
    const v = obj[key];
    if (v === undefined) continue;
    list.push(...(Array.isArray(v) ? v : [v]));
  }
  if (list.length === 0) list.push(obj);
  return list.map((s) => toApiKeys(s) as ServiceDefinition);
}
