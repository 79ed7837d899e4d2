import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ANONYMOUS_POLICY, authMethods, components, connectInjectRules, covers, findOwnRule, meshGatewayRules, names, workloadBindingRule, type AclInitOptions } from './acl-init-plan.js';

const opts = (o: Partial<AclInitOptions> = {}): AclInitOptions => ({ resourcePrefix: 'consul', enablePeering: true, connectInject: true, meshGateway: true, authMethodHost: 'https://kubernetes.default.svc', bindingRuleSelector: 'serviceaccount.name!=default', ...o });

describe('server-acl-init plan', () => {
  it('names follow consul-k8s', () => {
    assert.deepEqual(names('consul'), { bootstrapSecret: 'consul-bootstrap-acl-token', authMethodSecret: 'consul-auth-method', authMethod: 'consul-k8s-auth-method', componentAuthMethod: 'consul-k8s-component-auth-method' });
  });

  it('mesh gateway rules are the spec’s, with peering = "read" only when peering is on', () => {
    const r = meshGatewayRules(true);
    assert.match(r, /^mesh = "write"$/m);
    assert.match(r, /^peering = "read"$/m);
    assert.match(r, /service "mesh-gateway" \{\n {2}policy = "write"\n\}/);
    assert.match(r, /node_prefix "" \{\n {2}policy = "read"\n\}/);
    assert.match(r, /service_prefix "" \{\n {2}policy = "read"\n\}/);
    assert.doesNotMatch(meshGatewayRules(false), /peering/);
    assert.doesNotMatch(r, /partition|namespace/, 'CE rules only');
  });

  it('controller rules: acl, operator, mesh write; peering write only with peering', () => {
    for (const line of ['acl = "write"', 'operator = "write"', 'mesh = "write"', 'peering = "write"']) assert.ok(connectInjectRules(true).split('\n').includes(line), line);
    assert.doesNotMatch(connectInjectRules(false), /peering/);
    assert.match(connectInjectRules(false), /service_prefix "" \{\n {2}policy = "write"\n {2}intentions = "write"\n\}/);
  });

  it('components: a policy, a role and a role binding rule by service account each', () => {
    const [inject, gw] = components(opts());
    assert.equal(inject?.role.Name, 'consul-connect-inject-acl-role');
    assert.deepEqual(inject?.role.Policies, [{ Name: 'connect-inject-policy' }]);
    assert.deepEqual(inject?.bindingRule, { Description: 'Binding Rule for consul-connect-injector', AuthMethod: 'consul-k8s-component-auth-method', Selector: 'serviceaccount.name=="consul-connect-injector"', BindType: 'role', BindName: 'consul-connect-inject-acl-role' });
    assert.equal(gw?.role.Name, 'consul-mesh-gateway-acl-role');
    assert.equal(gw?.policy.Name, 'mesh-gateway-policy');
    assert.equal(gw?.bindingRule.Selector, 'serviceaccount.name=="consul-mesh-gateway"');
    assert.deepEqual(components(opts({ meshGateway: false })).map((c) => c.name), ['connect-inject']);
    assert.deepEqual(components(opts({ connectInject: false })).map((c) => c.name), ['mesh-gateway']);
  });

  it('auth methods: the component one always, the workload one with connect injection; the workload rule', () => {
    const cred = { caCert: 'PEM', jwt: 'a.b.c' };
    const ms = authMethods(opts(), cred);
    assert.deepEqual(ms.map((m) => m.Name), ['consul-k8s-component-auth-method', 'consul-k8s-auth-method']);
    assert.deepEqual(ms[1]?.Config, { Host: 'https://kubernetes.default.svc', CACert: 'PEM', ServiceAccountJWT: 'a.b.c' });
    assert.equal(ms[1]?.Description, 'Kubernetes Auth Method');
    assert.deepEqual(authMethods(opts({ connectInject: false }), cred).map((m) => m.Name), ['consul-k8s-component-auth-method']);
    assert.deepEqual(workloadBindingRule(opts()), { Description: 'Kubernetes binding rule', AuthMethod: 'consul-k8s-auth-method', Selector: 'serviceaccount.name!=default', BindType: 'service', BindName: '${serviceaccount.name}' });
  });

  it('the anonymous policy reads nodes and services only', () => {
    assert.equal(ANONYMOUS_POLICY.Name, 'anonymous-token-policy');
    assert.equal(ANONYMOUS_POLICY.Rules, 'node_prefix "" {\n  policy = "read"\n}\nservice_prefix "" {\n  policy = "read"\n}');
  });

  it('covers: what the server adds (IDs, indexes) does not count; a changed field does', () => {
    const want = { Name: 'r', Policies: [{ Name: 'p' }] };
    assert.ok(covers({ ID: 'x', Name: 'r', Policies: [{ ID: 'i', Name: 'p' }], CreateIndex: 3 }, want));
    assert.ok(!covers({ Name: 'r', Policies: [{ ID: 'i', Name: 'q' }] }, want));
    assert.ok(!covers({ Name: 'r', Policies: [] }, want));
    assert.ok(!covers({ Name: 'r' }, want));
    assert.ok(!covers(null, want));
  });

  it('findOwnRule: same description and bind name', () => {
    const want = workloadBindingRule(opts());
    assert.equal(findOwnRule([{ ID: '1', Description: 'other', BindName: want.BindName }], want), undefined);
    assert.equal(findOwnRule([{ ID: '1', Description: 'other' }, { ID: '2', Description: want.Description, BindName: want.BindName }], want)?.ID, '2');
  });
});
