import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bind, KUBERNETES_VARS, kubernetesIdentity, ruleMatches, selectorProblem, validateRuleBody } from './binding-rules.js';
import type { BindingRuleRecord } from './types.js';

const rule = (r: Partial<BindingRuleRecord>): BindingRuleRecord => ({ ID: 'x', Description: '', AuthMethod: 'k8s', Selector: '', BindType: 'service', BindName: '${serviceaccount.name}', ...r });
const web = kubernetesIdentity({ namespace: 'default', name: 'Web', uid: 'u-1' });
const dflt = kubernetesIdentity({ namespace: 'default', name: 'default', uid: 'u-2' });
const lookups = {
  datacenter: 'dc1',
  roleByName: (n: string) => (n === 'ops' ? { ID: 'r1', Name: 'ops' } : undefined),
  policyByName: (n: string) => (n === 'readers' ? { ID: 'p1', Name: 'readers' } : undefined),
};
const text = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('binding rule selectors', () => {
  it('accepts bexpr over the identity fields and refuses other selectors with Consul text', () => {
    assert.equal(selectorProblem('serviceaccount.name!=default', KUBERNETES_VARS), undefined);
    assert.equal(selectorProblem('serviceaccount.namespace==prod and serviceaccount.name matches "^web"', KUBERNETES_VARS), undefined);
    assert.equal(selectorProblem('serviceaccount.bogus==x', KUBERNETES_VARS), 'Selector "serviceaccount.bogus" is not valid');
    assert.match(selectorProblem('serviceaccount.name ==', KUBERNETES_VARS) ?? '', /end of expression/);
    assert.match(text(() => validateRuleBody({ Selector: 'name==x', BindType: 'service', BindName: 'x' }, KUBERNETES_VARS)), /^invalid Binding Rule: Selector is invalid: Selector "name" is not valid$/);
  });

  it('serviceaccount.name!=default excludes the default service account; an empty selector matches all', () => {
    assert.equal(ruleMatches(rule({ Selector: 'serviceaccount.name!=default' }), web), true);
    assert.equal(ruleMatches(rule({ Selector: 'serviceaccount.name!=default' }), dflt), false);
    assert.equal(ruleMatches(rule({ Selector: '' }), dflt), true);
    assert.equal(ruleMatches(rule({ Selector: 'serviceaccount.name ==' }), web), false, 'an invalid selector never matches');
  });
});

describe('binding rule validation texts', () => {
  const v = (input: Parameters<typeof validateRuleBody>[0]): string => text(() => validateRuleBody(input, KUBERNETES_VARS));
  it('names what is missing or wrong', () => {
    assert.equal(v({ BindName: 'x' }), 'Invalid Binding Rule: no BindType is set');
    assert.equal(v({ BindType: 'service' }), 'Invalid Binding Rule: no BindName is set');
    assert.equal(v({ BindType: 'group', BindName: 'x' }), 'Invalid Binding Rule: unknown BindType "group"');
    assert.equal(v({ BindType: 'service', BindName: 'Not Valid' }), 'Invalid Binding Rule: invalid BindName');
    assert.equal(v({ BindType: 'service', BindName: '${serviceaccount.bogus}' }), 'Invalid Binding Rule: invalid BindName: unknown variable accessed: serviceaccount.bogus');
    assert.equal(v({ BindType: 'templated-policy', BindName: 'builtin/nope' }), 'Bind name for templated-policy bind type does not match existing template name: builtin/nope');
    assert.equal(v({ BindType: 'service', BindName: '${serviceaccount.name}' }), 'no error');
    assert.equal(v({ BindType: 'node', BindName: 'node-${serviceaccount.uid}' }), 'no error');
    assert.equal(v({ BindType: 'templated-policy', BindName: 'builtin/service', BindVars: { Name: '${serviceaccount.name}' } }), 'no error');
  });
});

describe('bind', () => {
  it('applies every matching rule once, lower-cases bind names, skips missing roles and policies', () => {
    const rules = [
      rule({ Selector: 'serviceaccount.name!=default' }),
      rule({ BindName: '${serviceaccount.name}' }),
      rule({ BindType: 'node', BindName: 'n-${serviceaccount.name}' }),
      rule({ BindType: 'role', BindName: 'ops' }),
      rule({ BindType: 'role', BindName: 'missing' }),
      rule({ BindType: 'policy', BindName: 'readers' }),
      rule({ BindType: 'policy', BindName: 'absent' }),
      rule({ BindType: 'templated-policy', BindName: 'builtin/service', BindVars: { Name: '${serviceaccount.name}' } }),
      rule({ Selector: 'serviceaccount.namespace==prod', BindName: 'never' }),
    ];
    const b = bind(rules, web, lookups);
    assert.deepEqual(b.ServiceIdentities, [{ ServiceName: 'web' }]);
    assert.deepEqual(b.NodeIdentities, [{ NodeName: 'n-web', Datacenter: 'dc1' }]);
    assert.deepEqual(b.Roles, [{ ID: 'r1', Name: 'ops' }]);
    assert.deepEqual(b.Policies, [{ ID: 'p1', Name: 'readers' }]);
    assert.deepEqual(b.TemplatedPolicies, [{ TemplateName: 'builtin/service', TemplateVariables: { Name: 'web' } }]);
  });

  it('binds nothing for the default service account under the chart rule', () => {
    const b = bind([rule({ Selector: 'serviceaccount.name!=default' })], dflt, lookups);
    assert.deepEqual(b.ServiceIdentities, []);
  });

  it('refuses a computed name that is not a valid identity', () => {
    const odd = kubernetesIdentity({ namespace: 'default', name: 'has.dot', uid: 'u' });
    assert.throws(() => bind([rule({})], odd, lookups), /computed "service" bind name for bind target is invalid: "has.dot"/);
  });
});
