// Pure L7 intention enforcement (dataplane-l7-auth.md §5): permissions top to bottom, first match
// wins; no match → the default decision.
import { httpMatches, type HttpMatch, type HttpRequestView } from './match.js';

export interface Permission {
  Action: 'allow' | 'deny' | string;
  HTTP?: HttpMatch;
}

export function permitted(perms: Permission[], req: HttpRequestView, defaultAllow: boolean): boolean {
  for (const p of perms) if (httpMatches(p.HTTP, req)) return p.Action === 'allow';
  return defaultAllow;
}

/** The body and status Envoy's RBAC filter answers a denied request with. */
export const RBAC_DENIED = { status: 403, body: 'RBAC: access denied' };
