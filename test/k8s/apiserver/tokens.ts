// Service-account tokens as kube-apiserver issues and checks them: the TokenRequest subresource
// (`kubectl create token <sa>`) mints ES256 JWTs bound to the ServiceAccount's uid, and TokenReview
// (authentication.k8s.io/v1) validates them — signature, expiry, and that the ServiceAccount still exists.
import { createSign, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type http from 'node:http';
import { readBody, sendJson } from './wire.js';
import { ApiStatusError, type KObject } from './types.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const DEFAULT_EXPIRY_S = 3600;
const MIN_EXPIRY_S = 600;

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

interface Claims {
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  iss: string;
  jti: string;
  sub: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } };
}

export type ReviewStatus = { authenticated: true; user: { username: string; uid: string; groups: string[] }; audiences: string[] } | { authenticated?: false; user: Record<string, never>; error: string };

export class ServiceAccountTokens {
  readonly #key: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  readonly #kid = randomUUID();
  readonly #lookup: (namespace: string, name: string) => KObject | undefined;

  /** `lookup` reads a stored ServiceAccount. */
  constructor(lookup: (namespace: string, name: string) => KObject | undefined) {
    this.#lookup = lookup;
  }

  /** Mints a token for a stored ServiceAccount (throws a 404 Status when it does not exist). */
  mint(namespace: string, name: string, expirationSeconds = DEFAULT_EXPIRY_S, audiences: string[] = [ISSUER]): { token: string; expirationTimestamp: string } {
    const sa = this.#lookup(namespace, name);
    if (!sa) throw new ApiStatusError(404, 'NotFound', `serviceaccounts "${name}" not found`, { name, kind: 'serviceaccounts' });
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      aud: audiences,
      exp: now + expirationSeconds,
      iat: now,
      nbf: now,
      iss: ISSUER,
      jti: randomUUID(),
      sub: `system:serviceaccount:${namespace}:${name}`,
      'kubernetes.io': { namespace, serviceaccount: { name, uid: sa.metadata.uid as string } },
    };
    const input = `${b64({ alg: 'ES256', kid: this.#kid })}.${b64(claims)}`;
    const sig = createSign('SHA256').update(input).sign({ key: this.#key.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${input}.${sig.toString('base64url')}`, expirationTimestamp: new Date(claims.exp * 1000).toISOString().replace(/\.\d+Z$/, 'Z') };
  }

  /** What TokenReview answers for a token. */
  review(token: string): ReviewStatus {
    const fail = (why: string): ReviewStatus => ({ user: {}, error: `[invalid bearer token, ${why}]` });
    const parts = token.split('.');
    if (parts.length !== 3) return fail('token lookup failed');
    const [h, p, s] = parts as [string, string, string];
    let ok = false;
    try {
      ok = createVerify('SHA256').update(`${h}.${p}`).verify({ key: this.#key.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    } catch {
      ok = false;
    }
    if (!ok) return fail('square/go-jose: error in cryptographic primitive');
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Claims;
    } catch {
      return fail('token lookup failed');
    }
    if (claims.exp * 1000 <= Date.now()) return fail('service account token has expired');
    const ref = claims['kubernetes.io'];
    const sa = this.#lookup(ref.namespace, ref.serviceaccount.name);
    if (!sa || sa.metadata.uid !== ref.serviceaccount.uid) return fail('service account token has been invalidated');
    return {
      authenticated: true,
      user: { username: claims.sub, uid: ref.serviceaccount.uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${ref.namespace}`, 'system:authenticated'] },
      audiences: claims.aud,
    };
  }

  /**
   * Serves the two endpoints; answers false for any other request. TokenReview requires the caller's
   * bearer to be a valid service-account token itself (401 otherwise), as a reviewer's credential.
   */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
    if (req.method !== 'POST') return false;
    const tr = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/.exec(path);
    if (tr) {
      const [namespace, name] = [decodeURIComponent(tr[1] as string), decodeURIComponent(tr[2] as string)];
      // kubectl sends TokenRequest as protobuf (the double speaks JSON): its defaults apply then.
      const json = (req.headers['content-type'] ?? 'application/json').startsWith('application/json');
      const body = (json ? ((await readBody(req)) ?? {}) : (req.resume(), {})) as { spec?: { audiences?: string[]; expirationSeconds?: number } };
      const expiry = Math.max(MIN_EXPIRY_S, body.spec?.expirationSeconds ?? DEFAULT_EXPIRY_S);
      const audiences = body.spec?.audiences?.length ? body.spec.audiences : [ISSUER];
      const minted = this.mint(namespace, name, expiry, audiences);
      sendJson(res, 201, {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: null },
        spec: { audiences, expirationSeconds: expiry, boundObjectRef: null },
        status: minted,
      });
      return true;
    }
    if (path === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (!auth || !this.review((auth[1] as string).trim()).authenticated) throw new ApiStatusError(401, 'Unauthorized', 'Unauthorized');
      const body = (await readBody(req)) as { spec?: { token?: string; audiences?: string[] } } | undefined;
      const token = body?.spec?.token;
      if (typeof token !== 'string' || token === '') throw new ApiStatusError(422, 'Invalid', 'TokenReview.authentication.k8s.io "" is invalid: spec.token: Required value: token must not be empty');
      sendJson(res, 201, { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { token, ...(body?.spec?.audiences ? { audiences: body.spec.audiences } : {}) }, status: this.review(token) });
      return true;
    }
    return false;
  }
}
