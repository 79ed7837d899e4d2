// POST /v1/acl/login and /v1/acl/logout: exchange a bearer token for an ACL token through an auth method.
import { IsthmusError, invalid } from '../../lib/errors.js';
import { bind, emptyBindings, kubernetesIdentity, type Identity } from './binding-rules.js';
import { aclNotFound } from './errors.js';
import { validateJwtLogin } from './jwt-auth.js';
import { validateKubernetesLogin } from './kube-validator.js';
import { AclService } from './service.js';
import type { AuthMethodRecord, Indexed, TokenRecord } from './types.js';
import type { KubernetesConfig } from './auth-methods.js';

export interface LoginInput {
  AuthMethod?: string;
  BearerToken?: string;
  Meta?: Record<string, string>;
}

/** Turns a bearer token into an identity for a method (the kubernetes validator by default). */
export type IdentityValidator = (method: AuthMethodRecord, bearer: string) => Promise<Identity>;

/** Kubernetes methods ask the API server (TokenReview); jwt methods check the token against their keys. */
export const defaultValidator: IdentityValidator = async (method, bearer) =>
  method.Type === 'jwt' ? validateJwtLogin(method.Config, bearer) : kubernetesIdentity(await validateKubernetesLogin(method.Config as unknown as KubernetesConfig, bearer));

/** `token created via login` plus the Meta as Go's encoding/json writes a map (sorted keys). */
export function loginDescription(meta: Record<string, string> | undefined): string {
  if (!meta || Object.keys(meta).length === 0) return 'token created via login';
  const sorted = Object.fromEntries(Object.keys(meta).sort().map((k) => [k, meta[k]]));
  return `token created via login: ${JSON.stringify(sorted)}`;
}

export class LoginService {
  readonly #acl: AclService;
  readonly #validate: IdentityValidator;

  constructor(acl: AclService, validate: IdentityValidator = defaultValidator) {
    this.#acl = acl;
    this.#validate = validate;
  }

  async login(input: LoginInput): Promise<Indexed<TokenRecord>> {
    if (!input.AuthMethod && !input.BearerToken) throw invalid('Invalid Login request: Missing auth parameters');
    const name = input.AuthMethod ?? '';
    const method = this.#acl.authMethods.get(name)?.value;
    if (!method) throw new IsthmusError('PERMISSION_DENIED', `ACL not found: auth method "${name}" not found`, { reason: 'ACL_NOT_FOUND' });
    const identity = await this.#validate(method, input.BearerToken ?? '');
    const rules = this.#acl.bindingRules
      .values()
      .filter((r) => r.value.AuthMethod === method.Name)
      .sort((a, b) => a.createIndex - b.createIndex)
      .map((r) => r.value);
    const b = bind(rules, identity, {
      datacenter: this.#acl.datacenter,
      roleByName: (n) => {
        const r = this.#acl.roles.find((x) => x.Name === n)?.value;
        return r ? { ID: r.ID, Name: r.Name } : undefined;
      },
      policyByName: (n) => {
        const p = this.#acl.policyByName(n)?.value;
        return p ? { ID: p.ID, Name: p.Name } : undefined;
      },
    });
    if (emptyBindings(b)) throw new IsthmusError('PERMISSION_DENIED', 'Permission denied', { reason: 'NO_BINDINGS', details: { authMethod: method.Name } });
    return this.#acl.createToken(
      {
        Description: loginDescription(input.Meta),
        Local: method.TokenLocality !== 'global',
        Policies: b.Policies,
        Roles: b.Roles,
        ServiceIdentities: b.ServiceIdentities,
        NodeIdentities: b.NodeIdentities,
        ...(method.MaxTokenTTL ? { ExpirationTTL: method.MaxTokenTTL } : {}),
      },
      { AuthMethod: method.Name, TemplatedPolicies: b.TemplatedPolicies },
    );
  }

  /** Deletes the presented token if login created it. */
  logout(secret: string | undefined): Promise<void> {
    if (!secret) return Promise.reject(new IsthmusError('UNAUTHENTICATED', 'Supplied token does not exist'));
    return this.#acl.serialWrite(async () => {
      const t = this.#acl.tokenBySecret(secret);
      if (!t || !AclService.live(t.value)) throw aclNotFound();
      if (!t.value.AuthMethod) throw new IsthmusError('PERMISSION_DENIED', 'Permission denied', { reason: 'NOT_A_LOGIN_TOKEN' });
      await this.#acl.commit([this.#acl.tokenDeleteOp(t.value.AccessorID)]);
    });
  }
}
