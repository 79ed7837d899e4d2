// `isthmus k8s server-acl-init`: bootstraps the servers' ACLs for a Kubernetes install (or reuses the bootstrap
// token kept in a Secret), then creates or updates what acl-init-plan.ts describes. Idempotent: a second run
// finds everything in place and changes nothing. Waits (with a bound) for what may come up later: the server,
// its leader, the auth-method service-account token; fails at once, with the server's text, on anything else.
import { ApiError, ConnectionError, type IsthmusClient } from '../sdk/client.js';
import type { Logger } from '../lib/log.js';
import { ANONYMOUS_ACCESSOR_ID, ANONYMOUS_POLICY, authMethods, components, covers, findOwnRule, MANAGED_BY, names, workloadBindingRule, type AclInitOptions, type AuthMethodSpec, type BindingRuleSpec, type PolicySpec, type RoleSpec } from './acl-init-plan.js';
import type { KubeApi } from './kube.js';

export interface AclInitDeps {
  kube: Pick<KubeApi, 'getSecret' | 'putSecret'>;
  /** A client without a token (the bootstrap token is added once known). */
  client: IsthmusClient;
  log: Logger;
  /** Namespace of the Secrets read and written. */
  namespace: string;
  /** Overall bound on waiting. */
  timeoutMs: number;
  /** Pause between attempts. @default 1000 */
  retryMs?: number;
}

export interface AclInitResult {
  /** True when this run bootstrapped the ACL system (false: the token came from the Secret). */
  bootstrapped: boolean;
  /** What was created or changed (names); empty on an idempotent re-run. */
  changed: string[];
}

/** Something that is not there yet (a Secret the token controller has not filled): waited for. */
class NotYet extends Error {}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** A server or API-server error that may pass: 5xx (but 501), or a network failure (as the Kubernetes client reports them). */
function transient(err: unknown): boolean {
  const e = err as { status?: unknown; code?: unknown };
  if (typeof e.status === 'number') return e.status >= 500 && e.status !== 501;
  return typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE'].includes(e.code);
}

export async function serverAclInit(deps: AclInitDeps, o: AclInitOptions): Promise<AclInitResult> {
  const { kube, log, namespace } = deps;
  const n = names(o.resourcePrefix);
  const deadline = Date.now() + deps.timeoutMs;
  const retryMs = deps.retryMs ?? 1000;
  const changed: string[] = [];

  /** Runs `op` until it succeeds; retries only what may heal (unreachable server, 5xx, NotYet) until the deadline. */
  const until = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const v = await op();
        log.debug(`Success: ${what}`);
        return v;
      } catch (err) {
        const healable = err instanceof ConnectionError || err instanceof NotYet || transient(err);
        if (!healable) throw new Error(`${what}: ${(err as Error).message}`);
        if (Date.now() + retryMs > deadline) throw new Error(`${what}: gave up after ${Math.round(deps.timeoutMs / 1000)}s: ${(err as Error).message}`);
        if (attempt === 1 || attempt % 10 === 0) log.warn(`Failure: ${what}, retrying`, { error: (err as Error).message });
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  };

  // 1. A server with a leader.
  await until('waiting for a server with a leader', async () => {
    const leader = await deps.client.request<string>('GET', '/v1/status/leader');
    if (!leader) throw new NotYet('the server has no leader yet');
  });

  // 2. The bootstrap token: the Secret's, else a fresh bootstrap stored at once in the Secret.
  let bootstrapped = false;
  const secret = await until(`reading Secret ${namespace}/${n.bootstrapSecret}`, () => kube.getSecret(namespace, n.bootstrapSecret));
  let token = unb64(secret?.data?.token);
  if (secret && !token) throw new Error(`Secret ${namespace}/${n.bootstrapSecret} exists but has no "token" key`);
  if (token) {
    log.info(`Using the bootstrap token from Secret ${namespace}/${n.bootstrapSecret}`);
    await until('checking the bootstrap token', async () => {
      try {
        await deps.client.withToken(token).request('GET', '/v1/acl/token/self');
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) throw new Error(`the token in Secret ${namespace}/${n.bootstrapSecret} is not known to the server (${err.message})`);
        throw err;
      }
    });
  } else {
    const created = await until('bootstrapping ACLs', async () => {
      try {
        return await deps.client.request<{ SecretID: string }>('PUT', '/v1/acl/bootstrap');
      } catch (err) {
        if (err instanceof ApiError && /bootstrap no longer allowed/i.test(err.message)) {
          throw new Error(`ACLs are already bootstrapped but Secret ${namespace}/${n.bootstrapSecret} holds no bootstrap token: store the bootstrap token there under key "token", or reset the bootstrap (${err.message})`);
        }
        if (err instanceof ApiError && /ACL support disabled/i.test(err.message)) throw new Error('ACLs are not enabled on the server (set acl.enabled in its configuration)');
        throw err;
      }
    });
    token = created.SecretID;
    bootstrapped = true;
    changed.push('bootstrap');
    await until(`writing Secret ${namespace}/${n.bootstrapSecret}`, () => kube.putSecret({ name: n.bootstrapSecret, namespace, labels: { ...MANAGED_BY }, data: { token: b64(token) } }));
    log.info(`Bootstrapped ACLs; the bootstrap token is in Secret ${namespace}/${n.bootstrapSecret}`);
  }
  const acl = deps.client.withToken(token);

  // 3. Policies and roles of the components.
  const comps = components(o);
  for (const c of comps) await upsertPolicy(c.policy);
  for (const c of comps) await upsertRole(c.role);

  // DNS answers queries that carry no token: the anonymous token gets read access to nodes and services.
  if (o.allowDns) {
    await upsertPolicy(ANONYMOUS_POLICY);
    await until('attaching anonymous-token-policy to the anonymous token', async () => {
      const anon = await acl.request<{ Description?: string; Policies?: { ID: string; Name: string }[] }>('GET', `/v1/acl/token/${ANONYMOUS_ACCESSOR_ID}`);
      if ((anon.Policies ?? []).some((p) => p.Name === ANONYMOUS_POLICY.Name)) return;
      const policies = [...(anon.Policies ?? []).map((p) => ({ ID: p.ID })), { Name: ANONYMOUS_POLICY.Name }];
      await acl.request('PUT', `/v1/acl/token/${ANONYMOUS_ACCESSOR_ID}`, { body: { AccessorID: ANONYMOUS_ACCESSOR_ID, Description: anon.Description ?? 'Anonymous Token', Policies: policies } });
      changed.push('anonymous token');
    });
  }

  // 4. The auth methods, with the auth-method service account's token and the cluster CA.
  const cred = await until(`reading the auth-method service-account token from Secret ${namespace}/${n.authMethodSecret}`, async () => {
    const s = await kube.getSecret(namespace, n.authMethodSecret);
    const jwt = unb64(s?.data?.token);
    if (!s) throw new NotYet(`Secret ${namespace}/${n.authMethodSecret} does not exist yet`);
    if (!jwt) throw new NotYet(`Secret ${namespace}/${n.authMethodSecret} has no token yet`);
    return { jwt, caCert: unb64(s.data?.['ca.crt']) };
  });
  for (const m of authMethods(o, cred)) await upsertAuthMethod(m);

  // 5. Binding rules: roles by service account on the component method, service identities on the workload one.
  for (const c of comps) await upsertBindingRule(c.bindingRule);
  if (o.connectInject) await upsertBindingRule(workloadBindingRule(o));

  log.info(changed.length > 0 ? `server-acl-init completed successfully (created or updated: ${changed.join(', ')})` : 'server-acl-init completed successfully (everything already in place)');
  return { bootstrapped, changed };

  async function readOptional<T>(path: string): Promise<T | undefined> {
    try {
      const v = await acl.request<T | null>('GET', path);
      return v ?? undefined;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async function upsertPolicy(want: PolicySpec): Promise<void> {
    await until(`creating or updating policy ${want.Name}`, async () => {
      const have = await readOptional<PolicySpec & { ID: string }>(`/v1/acl/policy/name/${encodeURIComponent(want.Name)}`);
      if (!have) {
        await acl.request('PUT', '/v1/acl/policy', { body: want });
      } else if (have.Description !== want.Description) {
        throw new Error(`policy found with name "${want.Name}" but not with expected description "${want.Description}"; a policy created by hand must be renamed, this name is reserved`);
      } else if (!covers(have, want)) {
        await acl.request('PUT', `/v1/acl/policy/${encodeURIComponent(have.ID)}`, { body: { ...want, ID: have.ID } });
      } else return;
      changed.push(`policy ${want.Name}`);
    });
  }

  async function upsertRole(want: RoleSpec): Promise<void> {
    await until(`creating or updating role ${want.Name}`, async () => {
      const have = await readOptional<RoleSpec & { ID: string }>(`/v1/acl/role/name/${encodeURIComponent(want.Name)}`);
      if (!have) await acl.request('PUT', '/v1/acl/role', { body: want });
      else if (!covers(have, want)) await acl.request('PUT', `/v1/acl/role/${encodeURIComponent(have.ID)}`, { body: { ...want, ID: have.ID } });
      else return;
      changed.push(`role ${want.Name}`);
    });
  }

  async function upsertAuthMethod(want: AuthMethodSpec): Promise<void> {
    await until(`creating or updating auth method ${want.Name}`, async () => {
      const have = await readOptional<AuthMethodSpec>(`/v1/acl/auth-method/${encodeURIComponent(want.Name)}`);
      if (!have) await acl.request('PUT', '/v1/acl/auth-method', { body: want });
      else if (have.Type !== want.Type) throw new Error(`auth method "${want.Name}" exists with type "${have.Type}", not "${want.Type}"; delete it or choose another -resource-prefix`);
      else if (!covers(have, want)) await acl.request('PUT', `/v1/acl/auth-method/${encodeURIComponent(want.Name)}`, { body: want });
      else return;
      changed.push(`auth method ${want.Name}`);
    });
  }

  async function upsertBindingRule(want: BindingRuleSpec): Promise<void> {
    await until(`creating or updating the binding rule "${want.Description}" of ${want.AuthMethod}`, async () => {
      const existing = (await acl.request<(BindingRuleSpec & { ID: string })[] | null>('GET', '/v1/acl/binding-rules', { query: { authmethod: want.AuthMethod } })) ?? [];
      const have = findOwnRule(existing, want);
      if (!have) await acl.request('PUT', '/v1/acl/binding-rule', { body: want });
      else if (!covers(have, want)) await acl.request('PUT', `/v1/acl/binding-rule/${encodeURIComponent(have.ID)}`, { body: { ...want, ID: have.ID } });
      else return;
      changed.push(`binding rule ${want.BindName} (${want.AuthMethod})`);
    });
  }
}
