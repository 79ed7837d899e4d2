// Pure validation of peering names, meta and server addresses, with the spec's texts.
import { invalid } from '../../lib/errors.js';

export const PEER_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const META_KEY_RE = /^[a-zA-Z0-9_-]+$/;

export function validatePeerName(name: string): void {
  if (!PEER_NAME_RE.test(name)) {
    throw invalid(`${name} is not a valid peer name: a valid peering name must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`);
  }
}

/** Meta rules shared with nodes and services: 64 pairs, key ≤128, value ≤512, no `consul-` keys. */
export function validatePeeringMeta(meta: Record<string, string>): void {
  const entries = Object.entries(meta);
  const fail = (why: string): never => {
    throw invalid(`meta tags failed validation: ${why}`);
  };
  if (entries.length > 64) fail('Node metadata cannot contain more than 64 key/value pairs');
  for (const [k, v] of entries) {
    if (k === '') fail(`Couldn't load metadata pair ('${k}', '${v}'): Key cannot be blank`);
    if (!META_KEY_RE.test(k)) fail(`Couldn't load metadata pair ('${k}', '${v}'): Key contains invalid characters`);
    if (k.length > 128) fail(`Couldn't load metadata pair ('${k}', '${v}'): Key is too long (limit: 128 characters)`);
    if (k.startsWith('consul-')) fail(`Couldn't load metadata pair ('${k}', '${v}'): Key prefix 'consul-' is reserved for internal use`);
    if (v.length > 512) fail(`Couldn't load metadata pair ('${k}', '${v}'): Value is too long (limit: 512 characters)`);
  }
}

/** host:port with a port in 1..65535 (IPv6 hosts in brackets). */
export function isValidServerAddress(addr: string): boolean {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(addr);
  if (!m || (m[1] as string).length === 0) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}
