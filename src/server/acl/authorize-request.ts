// POST /v1/internal/acl/authorize: what the UI asks to decide which controls to show (Consul's shape).
import { invalid } from '../../lib/errors.js';
import type { AclResourceName, Authorizer } from './authorizer.js';

/** Consul refuses larger batches. */
export const MAX_AUTHORIZATIONS = 64;

const UNSEGMENTED = new Set(['acl', 'keyring', 'mesh', 'operator', 'peering']);
const SEGMENTED = new Set(['agent', 'event', 'intention', 'node', 'query', 'service', 'session']);
const KEY_ACCESS = new Set(['read', 'list', 'write', 'write-prefix']);

export interface AuthorizationRequest {
  Resource: string;
  Segment?: string;
  Access: string;
}

export interface AuthorizationResponse extends AuthorizationRequest {
  Allow: boolean;
}

/** Reads one item, matching keys case-insensitively as Go's encoding/json does. */
function readItem(raw: unknown, i: number): AuthorizationRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(`Failed to decode request body: json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw} into Go value of type structs.ACLAuthorizationRequest (item ${i})`);
  }
  const out: AuthorizationRequest = { Resource: '', Access: '' };
  for (const [k, v] of Object.entries(raw)) {
    const key = k.toLowerCase();
    if (key !== 'resource' && key !== 'segment' && key !== 'access') continue;
    if (typeof v !== 'string') throw invalid(`Failed to decode request body: json: cannot unmarshal ${v === null ? 'null' : typeof v} into Go struct field ACLAuthorizationRequest.${key[0]?.toUpperCase()}${key.slice(1)} of type string`);
    if (key === 'resource') out.Resource = v;
    else if (key === 'segment') out.Segment = v;
    else out.Access = v.toLowerCase();
  }
  return out;
}

/** Parses the request body: an array of at most 64 `{Resource, Segment?, Access}` items. */
export function parseAuthorizationRequests(body: string): AuthorizationRequest[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw invalid(`Failed to decode request body: ${body.trim() === '' ? 'EOF' : (err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalid('Failed to decode request body: json: cannot unmarshal object into Go value of type []structs.ACLAuthorizationRequest');
  if (parsed.length > MAX_AUTHORIZATIONS) throw invalid(`Refusing to process more than ${MAX_AUTHORIZATIONS} authorizations at once`);
  return parsed.map(readItem);
}

/** Answers each request in order; throws 400 for an unknown resource or access level. */
export function authorizeAll(authz: Authorizer, requests: AuthorizationRequest[]): AuthorizationResponse[] {
  return requests.map((r) => {
    const res = r.Resource;
    const segment = r.Segment ?? '';
    let allow: boolean;
    if (res === 'key') {
      if (!KEY_ACCESS.has(r.Access)) throw invalid(`Invalid access level for ${res} resource: ${r.Access}`);
      // write-prefix is answered as write on the prefix itself (no deny below it is not tracked here).
      const access = r.Access === 'list' ? 'list' : r.Access === 'read' ? 'read' : 'write';
      allow = authz.allowed('key', access, segment);
    } else if (UNSEGMENTED.has(res) || SEGMENTED.has(res)) {
      if (r.Access !== 'read' && r.Access !== 'write') throw invalid(`Invalid access level for ${res} resource: ${r.Access}`);
      allow = authz.allowed(res as AclResourceName, r.Access, SEGMENTED.has(res) ? segment : undefined);
    } else {
      throw invalid(`Invalid ACL resource requested: "${res}"`);
    }
    return { Resource: res, ...(segment ? { Segment: segment } : {}), Access: r.Access, Allow: allow };
  });
}
