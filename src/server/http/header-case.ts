// Response header names as Consul puts them on the wire: Go's net/http canonicalises every name
// (`X-Consul-Knownleader`, `Content-Type`), while Node's frameworks send them lower-cased.
import { ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';

/** Header names repeat on every response: their canonical forms are remembered (bounded). */
const canonical = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 1024;

/** Go's textproto.CanonicalMIMEHeaderKey: first letter and each letter after a '-' upper case, the rest lower. */
export function canonicalHeaderKey(name: string): string {
  const known = canonical.get(name);
  if (known !== undefined) return known;
  if (!/^[A-Za-z0-9-]+$/.test(name)) return name;
  let upper = true;
  let out = '';
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  if (canonical.size < MAX_REMEMBERED_NAMES) canonical.set(name, out);
  return out;
}

/** A copy of a header object with canonical names (values untouched). */
export function canonicalHeaders<T>(headers: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(headers)) out[canonicalHeaderKey(k)] = v;
  return out;
}

/**
 * The headers of one response as Consul's Go server would send them: canonical names, JSON typed
 * `application/json` (no charset parameter), and no Content-Type on an empty body.
 */
export function consulWireHeaders<T>(headers: Record<string, T>): Record<string, T> {
  const out = canonicalHeaders(headers);
  const type = out['Content-Type'];
  if (type === ('application/json; charset=utf-8' as unknown)) out['Content-Type'] = 'application/json' as T;
  if (String(out['Content-Length']) === '0') delete out['Content-Type'];
  return out;
}

type WireHeaders = OutgoingHttpHeaders | OutgoingHttpHeader[];

/**
 * The response class of the API's node:http server: every response's header names go on the wire as
 * Consul's do (see consulWireHeaders) and carry `extra` (Consul's http_config.response_headers, its
 * default-ACL-policy header). One class per server, so a response costs no closure or hook; flat
 * `[name, value, …]` arrays are taken as already canonical (the cached-body fast path builds them).
 */
export function consulResponseClass(extra: Record<string, string>): typeof ServerResponse {
  const extras = Object.entries(canonicalHeaders(extra));
  class ConsulResponse extends ServerResponse {
    override writeHead(status: number, reasonOrHeaders?: string | WireHeaders, maybeHeaders?: WireHeaders): this {
      const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
      const given = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
      let headers: WireHeaders | undefined;
      if (Array.isArray(given)) {
        headers = given;
        for (const [k, v] of extras) headers.push(k, v);
      } else if (given !== undefined && given !== null) {
        const out = consulWireHeaders(given as Record<string, OutgoingHttpHeader | undefined>);
        for (const [k, v] of extras) out[k] = v;
        headers = out as OutgoingHttpHeaders;
      } else {
        // Implicit headers (set with setHeader, or none): Node keeps the names as they were set.
        for (const [k, v] of extras) this.setHeader(k, v);
      }
      return reason === undefined ? super.writeHead(status, headers) : super.writeHead(status, reason, headers);
    }
  }
  return ConsulResponse as typeof ServerResponse;
}
