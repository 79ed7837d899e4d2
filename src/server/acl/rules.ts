// ACL rules: parsing the HCL/JSON rules language into a normalized, pure representation.
import { invalid } from '../../lib/errors.js';
import { parseJsonOrHcl } from '../../lib/hcl.js';
import { setOwn } from '../../lib/safe-object.js';

export type Level = 'read' | 'write' | 'deny' | 'list';
export const LABELLED = ['service', 'node', 'agent', 'key', 'session', 'event', 'query'] as const;
export const UNLABELLED = ['acl', 'operator', 'mesh', 'peering', 'keyring'] as const;
export type LabelledResource = (typeof LABELLED)[number];
export type UnlabelledResource = (typeof UNLABELLED)[number];

export interface Rule {
  policy: Level;
  /** Only on service rules. */
  intentions?: Level;
}

export interface LabelledRules {
  exact: Record<string, Rule>;
  prefix: Record<string, Rule>;
}

/** The normalized form of one policy's rules (stored beside the Rules text). */
export interface PolicyRules {
  labelled: Partial<Record<LabelledResource, LabelledRules>>;
  unlabelled: Partial<Record<UnlabelledResource, Level>>;
}

const LEVELS: readonly string[] = ['read', 'write', 'deny', 'list'];

function level(v: unknown, what: string): Level {
  if (typeof v !== 'string' || !LEVELS.includes(v)) throw invalid(`Failed to parse ACL rules: Invalid ${what} policy: ${JSON.stringify(v)}`);
  if (v === 'list' && what !== 'key_prefix') throw invalid(`Failed to parse ACL rules: Invalid ${what} policy: "list"`);
  return v as Level;
}

function unwrap(v: unknown): Record<string, unknown> {
  if (Array.isArray(v) && v.length === 1) return unwrap(v[0]);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return v as Record<string, unknown>;
}

/** Normalizes an already-parsed rules object (from HCL or JSON). */
export function normalizeRules(doc: Record<string, unknown>): PolicyRules {
  const out: PolicyRules = { labelled: {}, unlabelled: {} };
  for (const [k, raw] of Object.entries(doc)) {
    const unl = (UNLABELLED as readonly string[]).includes(k);
    if (unl) {
      out.unlabelled[k as UnlabelledResource] = level(Array.isArray(raw) ? raw[0] : raw, k);
      continue;
    }
    const isPrefix = k.endsWith('_prefix');
    const base = isPrefix ? k.slice(0, -'_prefix'.length) : k;
    if (!(LABELLED as readonly string[]).includes(base)) {
      if (['namespace', 'namespace_prefix', 'partition', 'partition_prefix'].includes(k)) {
        throw invalid(`Failed to parse ACL rules: ${k} rules are an enterprise-only feature`);
      }
      throw invalid(`Failed to parse ACL rules: unknown rule "${k}"`);
    }
    const bucket = (out.labelled[base as LabelledResource] ??= { exact: {}, prefix: {} });
    const labels: Record<string, unknown> = {};
    for (const part of Array.isArray(raw) ? raw.map(unwrap) : [unwrap(raw)]) for (const [label, body] of Object.entries(part)) setOwn(labels, label, body);
    for (const [label, body] of Object.entries(labels)) {
      const b = unwrap(body);
      const rule: Rule = { policy: level(b.policy, k) };
      if (b.intentions !== undefined) {
        if (base !== 'service') throw invalid(`Failed to parse ACL rules: intentions may only be set on service rules`);
        rule.intentions = level(b.intentions, `${k} intentions`);
      }
      for (const extra of Object.keys(b)) {
        if (extra !== 'policy' && extra !== 'intentions') throw invalid(`Failed to parse ACL rules: unknown key "${extra}" in ${k} "${label}"`);
      }
      setOwn(isPrefix ? bucket.prefix : bucket.exact, label, rule);
    }
  }
  return out;
}

/** Parses the Rules text of a policy (HCL or JSON). An empty text is an empty policy. */
export async function parseRules(text: string): Promise<PolicyRules> {
  if (text.trim() === '') return { labelled: {}, unlabelled: {} };
  let doc: Record<string, unknown>;
  try {
    doc = await parseJsonOrHcl(text, 'rules.hcl');
  } catch (err) {
    throw invalid(`Failed to parse ACL rules: ${(err as Error).message}`);
  }
  return normalizeRules(doc);
}
