// Forwards an HTTP request to the leader's HTTP API (Consul forwards peering RPCs to the leader:
// live stream status exists only in the leader's memory). Loops are cut by a marker header.
import { IsthmusError } from '../../lib/errors.js';
import type { HttpRequest, HttpResult } from '../http/request.js';
import type { Leadership } from './leadership.js';

export const FORWARDED_HEADER = 'x-isthmus-forwarded';
const PASS_REQUEST = ['x-consul-token', 'authorization', 'content-type'];
const PASS_RESPONSE = ['content-type', 'x-consul-index', 'x-consul-knownleader', 'x-consul-lastcontact', 'x-consul-default-acl-policy'];
const FORWARD_TIMEOUT_MS = 10 * 60_000;

/** Returns the leader's answer, or undefined when this server should answer itself. */
export function leaderForwarder(leadership: Leadership): (req: HttpRequest) => Promise<HttpResult | undefined> {
  return async (req) => {
    if (leadership.isLeader() || req.headers[FORWARDED_HEADER] !== undefined) return undefined;
    const leader = leadership.leader();
    if (!leader) throw new IsthmusError('UNAVAILABLE', 'No cluster leader', { httpStatus: 500 });
    const headers: Record<string, string> = { [FORWARDED_HEADER]: '1' };
    for (const h of PASS_REQUEST) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    let res: Response;
    try {
      res = await fetch(`http://${leader.HTTPAddr}${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === 'GET' || req.method === 'DELETE' ? {} : { body: req.body }),
        // A GET may block (?index=): stop when its client goes away. (A request's "close" also fires
        // once a body has been read, so writes only get the deadline.)
        signal: req.method === 'GET' ? AbortSignal.any([req.signal, AbortSignal.timeout(FORWARD_TIMEOUT_MS)]) : AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
    } catch (err) {
      throw new IsthmusError('UNAVAILABLE', `cannot reach the leader (${leader.Node}) to forward the request: ${(err as Error).message}`, { httpStatus: 500 });
    }
    const out: Record<string, string> = {};
    for (const h of PASS_RESPONSE) {
      const v = res.headers.get(h);
      if (v !== null) out[h] = v;
    }
    const text = await res.text();
    return { status: res.status, text, headers: out };
  };
}
