// Validates a Kubernetes service-account JWT against the cluster's API server (TokenReview + ServiceAccount
// read over HTTPS, trusting only the method's CACert). Errors carry Consul's texts and never a token.
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { IsthmusError } from '../../lib/errors.js';
import { parseJwt } from './jwt.js';
import type { KubernetesConfig } from './auth-methods.js';

export const SERVICE_NAME_ANNOTATION = 'consul.hashicorp.com/service-name';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1 << 20;

export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** A login that the validator refused: HTTP 500 with the text, as Consul (these are not ACL errors). */
export function loginFailed(message: string): IsthmusError {
  return new IsthmusError('FAILED_PRECONDITION', message, { httpStatus: 500, reason: 'LOGIN_VALIDATION' });
}

interface KubeResponse {
  status: number;
  body: unknown;
}

function goNetText(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'connect: connection refused';
  if (err.code === 'ENOTFOUND') return 'no such host';
  if (err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || err.code === 'SELF_SIGNED_CERT_IN_CHAIN' || err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'tls: failed to verify certificate: x509: certificate is not valid for this host';
  return err.message;
}

/** One bounded HTTPS call to the API server with the method's credential. */
function call(cfg: KubernetesConfig, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<KubeResponse> {
  const url = new URL(path, cfg.Host.endsWith('/') ? cfg.Host : `${cfg.Host}/`);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${cfg.ServiceAccountJWT}`, 'User-Agent': 'isthmus-kubernetes-auth' };
  if (payload) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  const verb = method === 'GET' ? 'Get' : 'Post';
  const shown = `${url.origin}${url.pathname}`;
  let deadline: NodeJS.Timeout | undefined;
  return new Promise<KubeResponse>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method, headers, ca: cfg.CACert, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy(new Error('response too large'));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', (err) => reject(new Error(`${verb} "${shown}": ${goNetText(err)}`)));
    });
    // One deadline for the whole exchange (a slowly dripping answer cannot hold a login open).
    deadline = setTimeout(() => req.destroy(new Error('context deadline exceeded')), timeoutMs);
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`${verb} "${shown}": ${goNetText(err)}`)));
    req.end(payload);
  }).finally(() => clearTimeout(deadline));
}

/** The message of a Kubernetes Status body (what client-go's error prints), or the HTTP status. */
function statusMessage(r: KubeResponse): string {
  const m = (r.body as { message?: unknown } | undefined)?.message;
  if (typeof m === 'string' && m !== '') return m;
  if (r.status === 401) return 'Unauthorized';
  if (r.status === 403) return 'Forbidden';
  return `the server responded with the status code ${r.status} but did not return more information`;
}

/**
 * Consul's kubernetes validator: the bearer must be a JWT; TokenReview must authenticate it as
 * `system:serviceaccount:<ns>:<name>`; the ServiceAccount's `consul.hashicorp.com/service-name`
 * annotation replaces the name.
 */
export async function validateKubernetesLogin(cfg: KubernetesConfig, bearer: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ServiceAccountIdentity> {
  try {
    parseJwt(bearer);
  } catch (err) {
    throw loginFailed(`failed to parse and validate JWT: ${(err as Error).message}`);
  }
  let review: KubeResponse;
  try {
    review = await call(cfg, 'POST', 'apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: bearer } }, timeoutMs);
  } catch (err) {
    throw loginFailed((err as Error).message);
  }
  if (review.status < 200 || review.status >= 300) throw loginFailed(statusMessage(review));
  const status = ((review.body as { status?: unknown } | undefined)?.status ?? {}) as { authenticated?: boolean; error?: string; user?: { username?: string; uid?: string } };
  if (typeof status.error === 'string' && status.error !== '') throw loginFailed(`lookup failed: ${status.error}`);
  if (status.authenticated !== true) throw loginFailed('lookup failed: service account jwt not valid');
  const parts = (status.user?.username ?? '').split(':');
  if (parts.length !== 4) throw loginFailed('lookup failed: unexpected username format');
  if (parts[0] !== 'system' || parts[1] !== 'serviceaccount') throw loginFailed('lookup failed: username returned is not a service account');
  const namespace = parts[2] as string;
  let name = parts[3] as string;
  const uid = status.user?.uid ?? '';
  let sa: KubeResponse;
  try {
    sa = await call(cfg, 'GET', `api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}`, undefined, timeoutMs);
  } catch (err) {
    throw loginFailed(`annotation lookup failed: ${(err as Error).message}`);
  }
  if (sa.status < 200 || sa.status >= 300) throw loginFailed(`annotation lookup failed: ${statusMessage(sa)}`);
  const override = (sa.body as { metadata?: { annotations?: Record<string, unknown> } } | undefined)?.metadata?.annotations?.[SERVICE_NAME_ANNOTATION];
  if (typeof override === 'string' && override !== '') name = override;
  return { namespace, name, uid };
}
