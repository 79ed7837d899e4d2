// Pure validation of agent service registrations: Consul's order of checks and its texts.
import { invalid } from '../../lib/errors.js';
import { isUnspecifiedAddress } from '../catalog/validate.js';
import { validateAgentCheck } from '../health-checks/definition.js';
import type { AgentServiceInput } from './schema.js';
import { validateProxy } from './sidecar.js';

const META_MAX_PAIRS = 64;
const META_KEY_MAX = 128;
const META_VALUE_MAX = 512;
const META_KEY_RE = /^[a-zA-Z0-9_-]+$/;
const SERVICE_KINDS = ['', 'connect-proxy', 'mesh-gateway', 'terminating-gateway', 'ingress-gateway', 'api-gateway'];

/** Consul's ValidateServiceMetadata texts. */
export function validateServiceMeta(meta: Record<string, string>): void {
  const entries = Object.entries(meta);
  if (entries.length > META_MAX_PAIRS) {
    throw invalid(`Invalid Service Meta: Service metadata cannot contain more than ${META_MAX_PAIRS} key/value pairs`);
  }
  for (const [k, v] of entries) {
    let why = '';
    if (k === '') why = 'Key cannot be blank';
    else if (!META_KEY_RE.test(k)) why = 'Key contains invalid characters';
    else if (k.length > META_KEY_MAX) why = `Key is too long (limit: ${META_KEY_MAX} characters)`;
    else if (k.startsWith('consul-')) why = "Key prefix 'consul-' is reserved for internal use";
    else if (v.length > META_VALUE_MAX) why = `Value is too long (limit: ${META_VALUE_MAX} characters)`;
    if (why) throw invalid(`Invalid Service Meta: Couldn't load metadata pair ('${k}', '${v}'): ${why}`);
  }
}

/** Validates in Consul's order: name, address, weights, meta, kind/connect, checks. */
export function validateAgentService(s: AgentServiceInput): void {
  if (!s.Name) throw invalid('Missing service name');
  if (s.Address && isUnspecifiedAddress(s.Address)) throw invalid('Invalid service address');
  if (s.Weights) {
    if ((s.Weights.Passing ?? 1) < 1) throw invalid('Invalid Weights: Passing must be greater than 0');
    if ((s.Weights.Warning ?? 1) < 0) throw invalid('Invalid Weights: Warning must be greater or equal than 0');
    if ((s.Weights.Passing ?? 1) > 65535 || (s.Weights.Warning ?? 1) > 65535) {
      throw invalid('Invalid Weights: DNS Weight must be between 0 and 65535');
    }
  }
  validateServiceMeta(s.Meta ?? {});
  const kind = s.Kind ?? '';
  if (!SERVICE_KINDS.includes(kind)) throw invalid(`Validation failed: invalid service kind: "${kind}"`);
  if (s.Connect?.Native && s.Proxy && kind === '') throw invalid('A Proxy cannot also be Connect Native, only typical services');
  if (s.Connect?.Native && !(s.Port ?? 0) && !s.SocketPath) throw invalid('Port or SocketPath must be set for a Connect native service.');
  if (kind !== '' || s.Proxy) validateProxy(kind, s.Port ?? 0, s.Proxy);
  if ((s.Port ?? 0) < 0 || (s.Port ?? 0) > 65535) throw invalid(`Validation failed: invalid port ${s.Port ?? 0}`);
  for (const c of [...(s.Check ? [s.Check] : []), ...(s.Checks ?? [])]) validateAgentCheck(c);
}
