// ACL state: policies, tokens and bootstrap in the store; resolves secrets to authorizers.
import { createHash, randomUUID } from 'node:crypto';
import { IsthmusError, invalid, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Store, TxnOp, WatchEvent } from '../../store/store.js';
import { ALLOW_ALL, createAuthorizer, mergeRules, type Authorizer, type DefaultPolicy } from './authorizer.js';
import { GLOBAL_MANAGEMENT, GLOBAL_READ_ONLY, nodeIdentityRules, serviceIdentityRules } from './builtin.js';
import { aclNotFound, ANONYMOUS_ACCESSOR_ID } from './errors.js';
import { parseRules } from './rules.js';
import { RecordTable, type TableOp } from './table.js';
import { templatedPolicyRules } from './templated-policies.js';
import { GLOBAL_MANAGEMENT_ID, type AuthMethodRecord, type BindingRuleRecord, type Indexed, type PolicyLink, type PolicyRecord, type RoleRecord, type TemplatedPolicy, type TokenRecord } from './types.js';

const KEYS = {
  policy: (id: string): string => `acl/policy/${id}`,
  token: (id: string): string => `acl/token/${id}`,
  bootstrap: 'acl/bootstrap',
};
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POLICY_NAME_RE = /^[A-Za-z0-9\-_]{1,128}$/;
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 24 * 3_600_000;

export interface AclOptions {
  enabled: boolean;
  defaultPolicy: DefaultPolicy;
  /** Secret of a management token created at start (Consul's acl.tokens.initial_management). */
  initialManagement?: string;
  /** This server's datacenter (node identities bound by login; identity scoping). */
  datacenter?: string;
}

export interface PolicyInput {
  ID?: string;
  Name?: string;
  Description?: string;
  Rules?: string;
  Datacenters?: string[];
}

export interface TokenInput {
  AccessorID?: string;
  SecretID?: string;
  Description?: string;
  Policies?: { ID?: string; Name?: string }[];
  Roles?: { ID?: string; Name?: string }[];
  ServiceIdentities?: { ServiceName?: string; Datacenters?: string[] }[];
  NodeIdentities?: { NodeName?: string; Datacenter?: string }[];
  Local?: boolean;
  ExpirationTime?: string;
  ExpirationTTL?: number;
}

/** What only login sets on a token it creates. */
export interface LoginTokenExtras {
  AuthMethod: string;
  TemplatedPolicies?: TemplatedPolicy[];
}

export class AclService {
  readonly #store: Store;
  readonly #log: Logger;
  readonly options: AclOptions;
  readonly #policies = new Map<string, Indexed<PolicyRecord>>();
  readonly #tokens = new Map<string, Indexed<TokenRecord>>();
  readonly #bySecret = new Map<string, string>();
  readonly #authzCache = new Map<string, Authorizer>();
  readonly #writes = new SerialQueue();
  /** Roles, auth methods and binding rules (roles.ts, auth-methods.ts, binding-rules.ts own their logic). */
  readonly roles = new RecordTable<RoleRecord>('acl/role/', (r) => r.ID);
  readonly authMethods = new RecordTable<AuthMethodRecord>('acl/auth-method/', (m) => m.Name);
  readonly bindingRules = new RecordTable<BindingRuleRecord>('acl/binding-rule/', (r) => r.ID);
  readonly #tables: RecordTable<unknown>[] = [this.roles, this.authMethods, this.bindingRules] as RecordTable<unknown>[];
  #bootstrapIndex = 0;

  constructor(deps: { store: Store; log: Logger }, options: AclOptions) {
    this.#store = deps.store;
    this.#log = deps.log;
    this.options = options;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  async load(): Promise<void> {
    for (const e of (await this.#store.list('acl/policy/')).entries) {
      const v = JSON.parse(e.value) as PolicyRecord;
      this.#policies.set(v.ID, { value: v, createIndex: e.createRevision, modifyIndex: e.modRevision });
    }
    for (const e of (await this.#store.list('acl/token/')).entries) {
      const v = JSON.parse(e.value) as TokenRecord;
      this.#tokens.set(v.AccessorID, { value: v, createIndex: e.createRevision, modifyIndex: e.modRevision });
      this.#bySecret.set(v.SecretID, v.AccessorID);
    }
    for (const t of this.#tables) await t.load(async (prefix) => (await this.#store.list(prefix)).entries);
    const b = await this.#store.get(KEYS.bootstrap);
    if (b) this.#bootstrapIndex = b.modRevision;
    if (!this.enabled) return;
    const ops: TxnOp[] = [];
    for (const builtin of [GLOBAL_MANAGEMENT, GLOBAL_READ_ONLY]) {
      if (!this.#policies.has(builtin.ID)) ops.push({ type: 'put', key: KEYS.policy(builtin.ID), value: JSON.stringify(builtin) });
    }
    if (!this.#tokens.has(ANONYMOUS_ACCESSOR_ID)) {
      const anon = this.#newToken({ AccessorID: ANONYMOUS_ACCESSOR_ID, SecretID: 'anonymous', Description: 'Anonymous Token' });
      ops.push({ type: 'put', key: KEYS.token(anon.AccessorID), value: JSON.stringify(anon) });
    }
    const initial = this.options.initialManagement;
    if (initial && !this.#bySecret.has(initial)) {
      const t = this.#newToken({ SecretID: initial, Description: 'Initial Management Token', Policies: [{ ID: GLOBAL_MANAGEMENT_ID, Name: 'global-management' }] });
      ops.push({ type: 'put', key: KEYS.token(t.AccessorID), value: JSON.stringify(t) });
      ops.push({ type: 'put', key: KEYS.bootstrap, value: JSON.stringify({ by: 'initial_management' }) });
    }
    if (ops.length > 0) await this.#commit(ops);
  }

  /** Applies policies and tokens committed by any server of a shared store (HA). */
  applyReplicated(events: WatchEvent[]): void {
    for (const e of events) {
      if (e.key.startsWith('acl/policy/')) {
        if (e.type === 'put') {
          const v = JSON.parse(e.entry.value) as PolicyRecord;
          this.#policies.set(v.ID, { value: v, createIndex: e.entry.createRevision, modifyIndex: e.entry.modRevision });
        } else this.#policies.delete(e.key.slice('acl/policy/'.length));
      } else if (e.key.startsWith('acl/token/')) {
        const id = e.key.slice('acl/token/'.length);
        const old = this.#tokens.get(id);
        if (old) this.#bySecret.delete(old.value.SecretID);
        if (e.type === 'put') {
          const v = JSON.parse(e.entry.value) as TokenRecord;
          this.#tokens.set(v.AccessorID, { value: v, createIndex: e.entry.createRevision, modifyIndex: e.entry.modRevision });
          this.#bySecret.set(v.SecretID, v.AccessorID);
        } else this.#tokens.delete(id);
      } else if (e.key === KEYS.bootstrap && e.type === 'put') {
        this.#bootstrapIndex = e.entry.modRevision;
      } else {
        const t = this.#tables.find((x) => x.owns(e.key));
        if (t && e.type === 'put') t.applyPut(e.entry.value, e.entry.createRevision, e.entry.modRevision);
        else if (t) t.applyDelete(e.key);
      }
    }
    this.#authzCache.clear();
  }

  async #commit(ops: TxnOp[]): Promise<number> {
    const r = await this.#store.txn({ success: ops });
    for (const op of ops) {
      if (op.type === 'put' && op.key.startsWith('acl/policy/')) {
        const v = JSON.parse(op.value) as PolicyRecord;
        this.#policies.set(v.ID, { value: v, createIndex: this.#policies.get(v.ID)?.createIndex ?? r.revision, modifyIndex: r.revision });
      } else if (op.type === 'put' && op.key.startsWith('acl/token/')) {
        const v = JSON.parse(op.value) as TokenRecord;
        const old = this.#tokens.get(v.AccessorID);
        if (old) this.#bySecret.delete(old.value.SecretID);
        this.#tokens.set(v.AccessorID, { value: v, createIndex: old?.createIndex ?? r.revision, modifyIndex: r.revision });
        this.#bySecret.set(v.SecretID, v.AccessorID);
      } else if (op.type === 'delete' && op.key.startsWith('acl/policy/')) {
        this.#policies.delete(op.key.slice('acl/policy/'.length));
      } else if (op.type === 'delete' && op.key.startsWith('acl/token/')) {
        const id = op.key.slice('acl/token/'.length);
        const old = this.#tokens.get(id);
        if (old) this.#bySecret.delete(old.value.SecretID);
        this.#tokens.delete(id);
      } else if (op.type === 'put' && op.key === KEYS.bootstrap) {
        this.#bootstrapIndex = r.revision;
      } else {
        const t = op.type === 'deletePrefix' ? undefined : this.#tables.find((x) => x.owns(op.key));
        if (t && op.type === 'put') t.applyPut(op.value, undefined, r.revision);
        else if (t && op.type === 'delete') t.applyDelete(op.key);
      }
    }
    this.#authzCache.clear();
    return r.revision;
  }

  /** Runs a read-check-write sequence alone (every ACL write goes through here). */
  serialWrite<T>(fn: () => Promise<T>): Promise<T> {
    return this.#writes.run(fn);
  }

  /** Commits ops atomically and mirrors them; call inside serialWrite. */
  commit(ops: TxnOp[]): Promise<number> {
    return this.#commit(ops);
  }

  get datacenter(): string {
    return this.options.datacenter ?? 'dc1';
  }

  #newToken(input: TokenInput & { Policies?: PolicyLink[] }): TokenRecord {
    return {
      AccessorID: input.AccessorID ?? randomUUID(),
      SecretID: input.SecretID ?? randomUUID(),
      Description: input.Description ?? '',
      Policies: (input.Policies as PolicyLink[] | undefined) ?? [],
      ServiceIdentities: [],
      NodeIdentities: [],
      Local: input.Local ?? false,
      CreateTime: new Date().toISOString(),
    };
  }

  // ---- resolution ----

  /** Resolves a secret (undefined → anonymous) to an authorizer. Unknown or expired secrets → "ACL not found". */
  authenticate(secret: string | undefined): Authorizer {
    if (!this.enabled) return ALLOW_ALL;
    const implicit = secret === undefined || secret === '';
    const key = implicit ? 'anonymous' : secret;
    const cached = this.#authzCache.get(key);
    if (cached && !implicit) return cached;
    const accessor = this.#bySecret.get(key) ?? (implicit ? ANONYMOUS_ACCESSOR_ID : undefined);
    const token = accessor ? this.#tokens.get(accessor)?.value : undefined;
    if (!token || (token.ExpirationTime && Date.parse(token.ExpirationTime) <= Date.now())) {
      if (implicit) {
        return createAuthorizer({ accessorId: ANONYMOUS_ACCESSOR_ID, anonymous: true, implicit, rules: { labelled: {}, unlabelled: {} }, defaultPolicy: this.options.defaultPolicy });
      }
      throw aclNotFound();
    }
    const roles = (token.Roles ?? []).map((r) => this.roles.get(r.ID)?.value).filter((r): r is RoleRecord => r !== undefined);
    const policyLinks = [...token.Policies, ...roles.flatMap((r) => r.Policies)];
    const policies = policyLinks.map((p) => this.#policies.get(p.ID)?.value).filter((p): p is PolicyRecord => p !== undefined);
    const management = policies.some((p) => p.ID === GLOBAL_MANAGEMENT_ID);
    const dc = this.datacenter;
    const services = [...token.ServiceIdentities, ...roles.flatMap((r) => r.ServiceIdentities)].filter((s) => !s.Datacenters?.length || s.Datacenters.includes(dc));
    const nodes = [...token.NodeIdentities, ...roles.flatMap((r) => r.NodeIdentities)].filter((n) => n.Datacenter === dc);
    const rules = mergeRules([
      ...policies.map((p) => p.parsed),
      ...services.map((s) => serviceIdentityRules(s.ServiceName)),
      ...nodes.map((n) => nodeIdentityRules(n.NodeName)),
      ...(token.TemplatedPolicies ?? []).map((t) => templatedPolicyRules(t)),
    ]);
    const authz = createAuthorizer({
      accessorId: token.AccessorID,
      anonymous: token.AccessorID === ANONYMOUS_ACCESSOR_ID,
      implicit,
      rules,
      defaultPolicy: this.options.defaultPolicy,
      management,
    });
    if (!token.ExpirationTime) this.#authzCache.set(key, authz);
    return authz;
  }

  // ---- bootstrap ----

  /** Bootstrap with a caller-chosen secret (Consul's BootstrapSecret). */
  createBootstrapWithSecret(secret: string): Promise<Indexed<TokenRecord>> {
    if (!UUID_RE.test(secret)) return Promise.reject(invalid('BootstrapSecret must be a UUID'));
    return this.bootstrap(secret);
  }

  bootstrap(secret?: string): Promise<Indexed<TokenRecord>> {
    return this.#writes.run(async () => {
      if (this.#bootstrapIndex > 0) {
        throw new IsthmusError('PERMISSION_DENIED', `Permission denied: ACL bootstrap no longer allowed (reset index: ${this.#bootstrapIndex})`);
      }
      const t = this.#newToken({ ...(secret ? { SecretID: secret } : {}), Description: 'Bootstrap Token (Global Management)', Policies: [{ ID: GLOBAL_MANAGEMENT_ID, Name: 'global-management' }] });
      await this.#commit([
        { type: 'put', key: KEYS.token(t.AccessorID), value: JSON.stringify(t) },
        { type: 'put', key: KEYS.bootstrap, value: JSON.stringify({ by: 'bootstrap' }) },
      ]);
      this.#log.info('ACL system bootstrapped', { accessor: t.AccessorID });
      return this.#tokens.get(t.AccessorID) as Indexed<TokenRecord>;
    });
  }

  // ---- policies ----

  policies(): Indexed<PolicyRecord>[] {
    return [...this.#policies.values()].sort((a, b) => a.value.Name.localeCompare(b.value.Name));
  }

  policy(id: string): Indexed<PolicyRecord> | undefined {
    return this.#policies.get(id);
  }

  policyByName(name: string): Indexed<PolicyRecord> | undefined {
    return [...this.#policies.values()].find((p) => p.value.Name === name);
  }

  async #buildPolicy(input: PolicyInput, id: string, existing?: PolicyRecord): Promise<PolicyRecord> {
    const name = input.Name ?? '';
    if (name === '') throw invalid('Invalid Policy: no Name is set');
    if (!POLICY_NAME_RE.test(name)) throw invalid(`Invalid Policy: invalid Name "${name}"`);
    const other = this.policyByName(name);
    if (other && other.value.ID !== id) throw invalid(`Invalid Policy: A Policy with Name "${name}" already exists`);
    if (id === GLOBAL_MANAGEMENT_ID && existing) {
      if ((input.Rules ?? existing.Rules) !== existing.Rules) throw invalid('Changing the Rules for the builtin global-management policy is not permitted');
      if (input.Datacenters && input.Datacenters.length > 0) throw invalid('Changing the Datacenters of the builtin global-management policy is not permitted');
    }
    const rules = input.Rules ?? '';
    return { ID: id, Name: name, Description: input.Description ?? '', Rules: rules, Datacenters: input.Datacenters ?? [], parsed: existing?.ID === GLOBAL_MANAGEMENT_ID ? existing.parsed : await parseRules(rules) };
  }

  createPolicy(input: PolicyInput): Promise<Indexed<PolicyRecord>> {
    if (input.ID) return Promise.reject(invalid('Cannot specify the ID when creating a new policy'));
    return this.#writes.run(async () => {
      const p = await this.#buildPolicy(input, randomUUID());
      await this.#commit([{ type: 'put', key: KEYS.policy(p.ID), value: JSON.stringify(p) }]);
      return this.#policies.get(p.ID) as Indexed<PolicyRecord>;
    });
  }

  updatePolicy(id: string, input: PolicyInput): Promise<Indexed<PolicyRecord>> {
    if (input.ID && input.ID !== id) return Promise.reject(invalid('Policy ID in URL and payload do not match'));
    return this.#writes.run(async () => {
      const cur = this.#policies.get(id);
      if (!cur) throw notFound('Cannot find policy to update');
      const p = await this.#buildPolicy(input, id, cur.value);
      await this.#commit([{ type: 'put', key: KEYS.policy(id), value: JSON.stringify(p) }]);
      return this.#policies.get(id) as Indexed<PolicyRecord>;
    });
  }

  deletePolicy(id: string): Promise<void> {
    return this.#writes.run(async () => {
      if (id === GLOBAL_MANAGEMENT_ID) throw invalid('Deletion of the builtin global-management policy is not permitted');
      if (!this.#policies.has(id)) throw notFound('Cannot find policy to delete');
      const ops: TxnOp[] = [{ type: 'delete', key: KEYS.policy(id) }];
      for (const t of this.#tokens.values()) {
        if (t.value.Policies.some((p) => p.ID === id)) {
          ops.push({ type: 'put', key: KEYS.token(t.value.AccessorID), value: JSON.stringify({ ...t.value, Policies: t.value.Policies.filter((p) => p.ID !== id) }) });
        }
      }
      for (const r of this.roles.values()) {
        if (r.value.Policies.some((p) => p.ID === id)) ops.push(this.roles.putOp({ ...r.value, Policies: r.value.Policies.filter((p) => p.ID !== id) }));
      }
      await this.#commit(ops);
    });
  }

  // ---- tokens ----

  tokens(): Indexed<TokenRecord>[] {
    return [...this.#tokens.values()].sort((a, b) => a.createIndex - b.createIndex);
  }

  token(accessor: string): Indexed<TokenRecord> | undefined {
    return this.#tokens.get(accessor);
  }

  tokenBySecret(secret: string): Indexed<TokenRecord> | undefined {
    const a = this.#bySecret.get(secret);
    return a ? this.#tokens.get(a) : undefined;
  }

  #links(input: TokenInput): PolicyLink[] {
    return this.policyLinks(input.Policies);
  }

  /** Resolves policy links by ID or name (a role's or a token's). */
  policyLinks(links: { ID?: string; Name?: string }[] | undefined): PolicyLink[] {
    return (links ?? []).map((l) => {
      const p = l.ID ? this.#policies.get(l.ID)?.value : l.Name ? this.policyByName(l.Name)?.value : undefined;
      if (!p) throw invalid(`Cannot find policy "${l.ID || l.Name || ''}"`);
      return { ID: p.ID, Name: p.Name };
    });
  }

  /** Resolves role links by ID or name. */
  roleLinks(links: { ID?: string; Name?: string }[] | undefined): PolicyLink[] {
    return (links ?? []).map((l) => {
      const r = l.ID ? this.roles.get(l.ID)?.value : l.Name ? this.roles.find((x) => x.Name === l.Name)?.value : undefined;
      if (!r) throw invalid(l.ID ? `cannot find role ${l.ID}` : l.Name ? `No such ACL role with name "${l.Name}"` : 'Role links must specify either an ID or a Name');
      return { ID: r.ID, Name: r.Name };
    });
  }

  #expiry(input: TokenInput, now: number): string | undefined {
    if (input.ExpirationTTL !== undefined && input.ExpirationTTL !== 0) {
      if (input.ExpirationTime) throw invalid('Token Expiration TTL and Expiration Time cannot both be set');
      if (input.ExpirationTTL < MIN_TTL_MS) throw invalid(`Token Expiration TTL '${input.ExpirationTTL / 1000}s' should be > 1m0s`);
      if (input.ExpirationTTL > MAX_TTL_MS) throw invalid(`Token Expiration TTL '${input.ExpirationTTL / 1000}s' should be < 24h0m0s`);
      return new Date(now + input.ExpirationTTL).toISOString();
    }
    if (input.ExpirationTime) {
      const t = Date.parse(input.ExpirationTime);
      if (Number.isNaN(t)) throw invalid(`Invalid Token: ExpirationTime "${input.ExpirationTime}" is not an RFC 3339 time`);
      if (t <= now) throw invalid('ExpirationTime cannot be in the past');
      return new Date(t).toISOString();
    }
    return undefined;
  }

  createToken(input: TokenInput, login?: LoginTokenExtras): Promise<Indexed<TokenRecord>> {
    return this.#writes.run(async () => {
      for (const [field, v] of [['AccessorID', input.AccessorID], ['SecretID', input.SecretID]] as const) {
        if (v !== undefined && v !== '' && !UUID_RE.test(v)) throw invalid(`Invalid Token: ${field} is not a valid UUID`);
      }
      if (input.AccessorID && this.#tokens.has(input.AccessorID)) throw invalid('Invalid Token: AccessorID is already in use');
      if (input.SecretID && this.#bySecret.has(input.SecretID)) throw invalid('Invalid Token: SecretID is already in use');
      const now = Date.now();
      const t: TokenRecord = {
        ...this.#newToken({ ...(input.AccessorID ? { AccessorID: input.AccessorID } : {}), ...(input.SecretID ? { SecretID: input.SecretID } : {}), Description: input.Description ?? '', Local: input.Local ?? false }),
        Policies: this.#links(input),
        ServiceIdentities: this.#serviceIdentities(input),
        NodeIdentities: this.#nodeIdentities(input),
      };
      const roles = this.roleLinks(input.Roles);
      if (roles.length > 0) t.Roles = roles;
      if (login) {
        t.AuthMethod = login.AuthMethod;
        if (login.TemplatedPolicies?.length) t.TemplatedPolicies = login.TemplatedPolicies;
      }
      const exp = this.#expiry(input, now);
      if (exp) t.ExpirationTime = exp;
      await this.#commit([{ type: 'put', key: KEYS.token(t.AccessorID), value: JSON.stringify(t) }]);
      return this.#tokens.get(t.AccessorID) as Indexed<TokenRecord>;
    });
  }

  #serviceIdentities(input: TokenInput): TokenRecord['ServiceIdentities'] {
    return (input.ServiceIdentities ?? []).map((s) => {
      if (!s.ServiceName) throw invalid('Service identity is missing the service name field on this token');
      return { ServiceName: s.ServiceName, ...(s.Datacenters?.length ? { Datacenters: s.Datacenters } : {}) };
    });
  }

  #nodeIdentities(input: TokenInput): TokenRecord['NodeIdentities'] {
    return (input.NodeIdentities ?? []).map((n) => {
      if (!n.NodeName) throw invalid('Node identity is missing the node name field on this token');
      if (!n.Datacenter) throw invalid('Node identity is missing the datacenter field on this token');
      return { NodeName: n.NodeName, Datacenter: n.Datacenter };
    });
  }

  updateToken(accessor: string, input: TokenInput): Promise<Indexed<TokenRecord>> {
    if (input.AccessorID && input.AccessorID !== accessor) return Promise.reject(invalid('Token Accessor ID in URL and payload do not match'));
    return this.#writes.run(async () => {
      const cur = this.#tokens.get(accessor);
      if (!cur) throw notFound('Cannot find token to update');
      if (input.SecretID && input.SecretID !== cur.value.SecretID) throw invalid("Changing a token's SecretID is not permitted");
      if (input.Local !== undefined && input.Local !== cur.value.Local) throw invalid('Cannot toggle local mode of a token');
      const t: TokenRecord = {
        ...cur.value,
        Description: input.Description ?? cur.value.Description,
        Policies: this.#links(input),
        ServiceIdentities: this.#serviceIdentities(input),
        NodeIdentities: this.#nodeIdentities(input),
      };
      const roles = this.roleLinks(input.Roles);
      if (roles.length > 0) t.Roles = roles;
      else delete t.Roles;
      await this.#commit([{ type: 'put', key: KEYS.token(accessor), value: JSON.stringify(t) }]);
      return this.#tokens.get(accessor) as Indexed<TokenRecord>;
    });
  }

  cloneToken(accessor: string, description?: string): Promise<Indexed<TokenRecord>> {
    const cur = this.#tokens.get(accessor);
    if (!cur) return Promise.reject(notFound('Cannot find token to clone'));
    if (accessor === ANONYMOUS_ACCESSOR_ID) return Promise.reject(invalid('Cannot clone the anonymous token'));
    return this.createToken({ Description: description ?? cur.value.Description, Policies: cur.value.Policies, Roles: cur.value.Roles ?? [], ServiceIdentities: cur.value.ServiceIdentities, NodeIdentities: cur.value.NodeIdentities, Local: cur.value.Local });
  }

  deleteToken(accessor: string, requester: Authorizer): Promise<void> {
    return this.#writes.run(async () => {
      if (accessor === ANONYMOUS_ACCESSOR_ID) throw invalid('Delete operation not permitted on the anonymous token');
      if (!this.#tokens.has(accessor)) throw notFound('Cannot find token to delete');
      if (requester.accessorId === accessor) throw invalid("Deletion of the request's authorization token is not permitted");
      await this.#commit([{ type: 'delete', key: KEYS.token(accessor) }]);
    });
  }

  /** A store op that deletes a token (auth-method deletion removes its tokens in the same transaction). */
  tokenDeleteOp(accessor: string): TableOp {
    return { type: 'delete', key: KEYS.token(accessor) };
  }

  tokenPutOp(t: TokenRecord): TableOp {
    return { type: 'put', key: KEYS.token(t.AccessorID), value: JSON.stringify(t) };
  }

  /** True when the token exists and has not expired. */
  static live(t: TokenRecord, now = Date.now()): boolean {
    return !t.ExpirationTime || Date.parse(t.ExpirationTime) > now;
  }

  /** Hash of a token or policy's content, as Consul shows it (base64). */
  static hash(value: unknown): string {
    return createHash('sha256').update(JSON.stringify(value)).digest('base64');
  }

}
