// Consul's builtin policy templates (templated-policy bind type): the rules each one grants.
import { nodeIdentityRules, serviceIdentityRules } from './builtin.js';
import type { PolicyRules } from './rules.js';
import { invalid } from '../../lib/errors.js';
import type { TemplatedPolicy } from './types.js';

const read = { policy: 'read' as const };

/** Template name → whether it needs a `Name` variable. */
export const TEMPLATES: Readonly<Record<string, { needsName: boolean }>> = {
  'builtin/service': { needsName: true },
  'builtin/node': { needsName: true },
  'builtin/dns': { needsName: false },
};

export function isTemplate(name: string): boolean {
  return Object.hasOwn(TEMPLATES, name);
}

/** The rules a templated policy grants (nothing for an unknown template). */
export function templatedPolicyRules(t: TemplatedPolicy): PolicyRules {
  const name = t.TemplateVariables?.Name ?? '';
  switch (t.TemplateName) {
    case 'builtin/service':
      return serviceIdentityRules(name);
    case 'builtin/node':
      return nodeIdentityRules(name);
    case 'builtin/dns':
      return { labelled: { node: { exact: {}, prefix: { '': read } }, service: { exact: {}, prefix: { '': read } }, query: { exact: {}, prefix: { '': read } } }, unlabelled: {} };
    default:
      return { labelled: {}, unlabelled: {} };
  }
}

export interface TemplatedPolicyInput {
  TemplateName?: string;
  TemplateVariables?: { Name?: string };
  Datacenters?: string[];
}

const NAME_RE = /^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$/;

/** Validates the TemplatedPolicies of a token or role (template known, `Name` given where needed and valid). */
export function validateTemplatedPolicies(input: TemplatedPolicyInput[] | undefined, owner: 'token' | 'role'): TemplatedPolicy[] {
  return (input ?? []).map((t) => {
    const name = t.TemplateName ?? '';
    if (name === '') throw invalid(`templated policy is missing the template name field on this ${owner}`);
    const tpl = TEMPLATES[name];
    if (!tpl) throw invalid(`templated policy "${name}" does not exist`);
    const v = t.TemplateVariables?.Name ?? '';
    if (tpl.needsName && v === '') throw invalid(`Failed to validate variables for templated policy "${name}": name is required`);
    if (tpl.needsName && !NAME_RE.test(v)) throw invalid(`Failed to validate variables for templated policy "${name}": name "${v}" is invalid`);
    return { TemplateName: name, ...(tpl.needsName ? { TemplateVariables: { Name: v } } : {}), ...(t.Datacenters?.length ? { Datacenters: t.Datacenters } : {}) };
  });
}
