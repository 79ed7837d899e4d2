// The pure authorizer: merges policies' rules and answers "may this token do X on Y" (Consul semantics).
import type { Level, LabelledResource, LabelledRules, PolicyRules, Rule, UnlabelledResource } from './rules.js';
import { LABELLED } from './rules.js';
import { ownValue, setOwn } from '../../lib/safe-object.js';

export type AclAccess = 'read' | 'write' | 'list';
export type AclResourceName = LabelledResource | UnlabelledResource | 'intention';
export type DefaultPolicy = 'allow' | 'deny';

export interface Authorizer {
  /** Accessor ID of the token (for messages); empty when ACLs are disabled. */
  readonly accessorId: string;
  readonly anonymous: boolean;
  /** True when the request carried no token. */
  readonly implicit: boolean;
  allowed(resource: AclResourceName, access: AclAccess, name?: string): boolean;
  /** Any write rule on any service (grants imported-data reads, spec §8). */
  serviceWriteAny(): boolean;
  /** Read on every service / node: what imported data needs without service:write anywhere. */
  readAll(resource: 'service' | 'node'): boolean;
  /**
   * Write on a whole key prefix (recursive KV deletes): the longest key_prefix rule covering it
   * grants write (or none does and the default allows) and no rule at or below it grants less.
   */
  keyWritePrefix(prefix: string): boolean;
}

const RANK: Record<Level, number> = { list: 1, read: 2, write: 3, deny: 4 };

function stronger(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (!a) return b;
  if (!b) return a;
  return RANK[b] > RANK[a] ? b : a;
}

function grants(l: Level, access: AclAccess): boolean {
  if (l === 'deny') return false;
  if (l === 'write') return true;
  // Consul: `list` (key_prefix only) allows listing keys but not reading values.
  if (l === 'list') return access === 'list';
  return access === 'read' || access === 'list';
}

function mergeRule(a: Rule | undefined, b: Rule): Rule {
  if (!a) return { ...b };
  const intentions = stronger(a.intentions, b.intentions);
  return { policy: stronger(a.policy, b.policy) as Level, ...(intentions ? { intentions } : {}) };
}

/** Merges many policies: on one segment deny > write > read. */
export function mergeRules(all: PolicyRules[]): PolicyRules {
  const out: PolicyRules = { labelled: {}, unlabelled: {} };
  for (const p of all) {
    for (const [res, rules] of Object.entries(p.labelled) as [LabelledResource, LabelledRules][]) {
      const b = (out.labelled[res] ??= { exact: {}, prefix: {} });
      for (const [k, r] of Object.entries(rules.exact)) setOwn(b.exact, k, mergeRule(ownValue(b.exact, k), r));
      for (const [k, r] of Object.entries(rules.prefix)) setOwn(b.prefix, k, mergeRule(ownValue(b.prefix, k), r));
    }
    for (const [res, l] of Object.entries(p.unlabelled) as [UnlabelledResource, Level][]) {
      out.unlabelled[res] = stronger(out.unlabelled[res], l);
    }
  }
  return out;
}

/** The rule that governs `name`: an exact rule wins, else the longest matching prefix. */
export function governingRule(rules: LabelledRules | undefined, name: string): Rule | undefined {
  if (!rules) return undefined;
  const exact = ownValue(rules.exact, name);
  if (exact) return exact;
  let best: string | undefined;
  for (const p of Object.keys(rules.prefix)) {
    if (name.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
  }
  return best === undefined ? undefined : ownValue(rules.prefix, best);
}

/** Intentions access of a service rule: explicit, else read for read/write policies, deny for deny. */
function intentionsLevel(r: Rule): Level {
  if (r.intentions) return r.intentions;
  return r.policy === 'deny' ? 'deny' : 'read';
}

export interface AuthorizerInit {
  accessorId: string;
  anonymous: boolean;
  implicit: boolean;
  rules: PolicyRules;
  defaultPolicy: DefaultPolicy;
  management?: boolean;
}

export function createAuthorizer(init: AuthorizerInit): Authorizer {
  const { rules, defaultPolicy } = init;
  const dflt = defaultPolicy === 'allow';
  const unlabelled = (res: UnlabelledResource, access: AclAccess): boolean => {
    let l = rules.unlabelled[res];
    // Spec §8: peering and mesh fall back to operator rules when they have none of their own.
    if (!l && (res === 'peering' || res === 'mesh')) l = rules.unlabelled.operator;
    return l ? grants(l, access) : dflt;
  };
  return {
    accessorId: init.accessorId,
    anonymous: init.anonymous,
    implicit: init.implicit,
    allowed(resource, access, name = '') {
      if (init.management) return true;
      if (resource === 'intention') {
        const r = governingRule(rules.labelled.service, name);
        return r ? grants(intentionsLevel(r), access) : dflt;
      }
      if ((LABELLED as readonly string[]).includes(resource)) {
        const r = governingRule(rules.labelled[resource as LabelledResource], name);
        return r ? grants(r.policy, access) : dflt;
      }
      return unlabelled(resource as UnlabelledResource, access);
    },
    serviceWriteAny() {
      if (init.management) return true;
      const s = rules.labelled.service;
      if (!s) return dflt;
      return [...Object.values(s.exact), ...Object.values(s.prefix)].some((r) => r.policy === 'write') || dflt;
    },
    readAll(resource) {
      if (init.management) return true;
      const s = rules.labelled[resource];
      const all = [...Object.values(s?.exact ?? {}), ...Object.values(s?.prefix ?? {})];
      if (all.some((r) => r.policy === 'deny')) return false;
      const root = s?.prefix[''];
      return root ? grants(root.policy, 'read') : dflt;
    },
    keyWritePrefix(prefix) {
      if (init.management) return true;
      const k = rules.labelled.key;
      if (!k) return dflt;
      const below = [...Object.entries(k.exact), ...Object.entries(k.prefix)].filter(([name]) => name.startsWith(prefix));
      if (below.some(([, r]) => r.policy !== 'write')) return false;
      let best: string | undefined;
      for (const p of Object.keys(k.prefix)) if (prefix.startsWith(p) && (best === undefined || p.length > best.length)) best = p;
      return best === undefined ? dflt : (k.prefix[best] as Rule).policy === 'write';
    },
  };
}

/** Everything allowed: ACLs disabled. */
export const ALLOW_ALL: Authorizer = createAuthorizer({
  accessorId: '',
  anonymous: false,
  implicit: true,
  rules: { labelled: {}, unlabelled: {} },
  defaultPolicy: 'allow',
  management: true,
});
