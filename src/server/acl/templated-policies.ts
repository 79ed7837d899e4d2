// Consul's builtin policy templates (templated-policy bind type): the rules each one grants.
import { nodeIdentityRules, serviceIdentityRules } from './builtin.js';
import type { PolicyRules } from './rules.js';
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
