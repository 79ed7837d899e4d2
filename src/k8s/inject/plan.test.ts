import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planInjection, upstreamEnv, type InjectSettings, type Pod } from './plan.js';

const S: InjectSettings = { image: 'isthmus:test', serverAddr: 'http://srv:8500', defaultInject: false, tproxyDefault: true };

const pod = (annotations: Record<string, string> = {}, extra: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'client-5d8f-x2x7k', namespace: 'default', labels: { app: 'client' }, annotations },
  spec: { serviceAccountName: 'client', containers: [{ name: 'app', image: 'app:1', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});

const injected = (d: ReturnType<typeof planInjection>): Pod => {
  assert.equal(d.inject, true, d.inject ? '' : d.reason);
  return (d as { pod: Pod }).pod;
};

describe('planInjection (dataplane-l7-auth.md §8)', () => {
  it('injects an annotated pod: volume, init container, sidecar first, annotations, labels', () => {
    const input = pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service-upstreams': 'backend.svc.east.peer:1234' });
    const p = injected(planInjection(input, 'default', {}, S));
    assert.deepEqual(p.spec.containers.map((c) => c.name), ['consul-dataplane', 'app']);
    assert.deepEqual(p.spec.initContainers?.map((c) => c.name), ['consul-connect-inject-init']);
    assert.deepEqual(p.spec.volumes, [{ name: 'consul-connect-inject-data', emptyDir: { medium: 'Memory' } }]);
    const a = p.metadata.annotations ?? {};
    assert.equal(a['consul.hashicorp.com/connect-inject-status'], 'injected');
    assert.equal(a['consul.hashicorp.com/transparent-proxy-status'], 'enabled');
    assert.equal(a['consul.hashicorp.com/connect-service-port'], 'http');
    assert.deepEqual(JSON.parse(a['consul.hashicorp.com/original-pod'] as string), input);
    assert.equal(p.metadata.labels?.['consul.hashicorp.com/connect-inject-status'], 'injected');
    assert.equal(p.metadata.labels?.['consul.hashicorp.com/connect-inject-managed-by'], 'consul-k8s-endpoints-controller');
    const sidecar = p.spec.containers[0] as Record<string, unknown>;
    assert.deepEqual(sidecar.args, ['connect', 'proxy', '-proxy-service-id-path=/consul/connect-inject/proxyid', '-node-name=$(CONSUL_NODE_NAME)']);
    assert.equal((sidecar.securityContext as { runAsUser: number }).runAsUser, 5995);
    const init = p.spec.initContainers?.[0] as Record<string, unknown>;
    assert.equal((init.securityContext as { runAsUser: number }).runAsUser, 0, 'root with NET_ADMIN for the redirect rules');
    const redirect = (init.env as { name: string; value?: string }[]).find((e) => e.name === 'CONSUL_REDIRECT_TRAFFIC_CONFIG');
    assert.deepEqual(JSON.parse(redirect?.value ?? '{}'), {
      ConsulDNSIP: '', ConsulDNSPort: 0, ProxyUserID: '5995', ProxyInboundPort: 20000, ProxyOutboundPort: 15001,
      ExcludeInboundPorts: null, ExcludeOutboundPorts: null, ExcludeOutboundCIDRs: null, ExcludeUIDs: ['5996'], NetNS: '',
    });
    const appEnv = p.spec.containers[1]?.env ?? [];
    assert.deepEqual(appEnv, [{ name: 'BACKEND.SVC.EAST.PEER_CONNECT_SERVICE_HOST', value: '127.0.0.1' }, { name: 'BACKEND.SVC.EAST.PEER_CONNECT_SERVICE_PORT', value: '1234' }]);
    assert.equal(input.spec.containers.length, 1, 'the input is not changed');
  });

  it('transparent proxy: annotation > namespace label > default; exclusions reach the redirect config', () => {
    const on = { 'consul.hashicorp.com/connect-inject': 'true' };
    const redirectOf = (p: Pod): string | undefined => (p.spec.initContainers?.[0]?.env ?? []).find((e) => e.name === 'CONSUL_REDIRECT_TRAFFIC_CONFIG')?.value;
    assert.equal(redirectOf(injected(planInjection(pod({ ...on, 'consul.hashicorp.com/transparent-proxy': 'false' }), 'default', { 'consul.hashicorp.com/transparent-proxy': 'true' }, S))), undefined);
    assert.equal(redirectOf(injected(planInjection(pod(on), 'default', { 'consul.hashicorp.com/transparent-proxy': 'false' }, S))), undefined);
    assert.notEqual(redirectOf(injected(planInjection(pod({ ...on, 'consul.hashicorp.com/transparent-proxy': 'true' }), 'default', { 'consul.hashicorp.com/transparent-proxy': 'false' }, S))), undefined);
    const off = injected(planInjection(pod(on), 'default', {}, { ...S, tproxyDefault: false }));
    assert.equal(off.metadata.annotations?.['consul.hashicorp.com/transparent-proxy-status'], undefined);
    assert.equal((off.spec.initContainers?.[0]?.securityContext as { runAsUser: number }).runAsUser, 5996);
    const ex = injected(planInjection(pod({ ...on, 'consul.hashicorp.com/transparent-proxy-exclude-inbound-ports': '8080, 9000:9100', 'consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs': '10.0.0.0/8,fd00::/8', 'consul.hashicorp.com/transparent-proxy-exclude-uids': '42' }), 'default', {}, S));
    const cfg = JSON.parse(redirectOf(ex) ?? '{}') as Record<string, unknown>;
    assert.deepEqual(cfg.ExcludeInboundPorts, ['8080', '9000:9100']);
    assert.deepEqual(cfg.ExcludeOutboundCIDRs, ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(cfg.ExcludeUIDs, ['5996', '42']);
  });

  it('leaves pods alone that do not ask, are injected already, or live in kube-system', () => {
    assert.equal(planInjection(pod(), 'default', {}, S).inject, false);
    assert.equal(planInjection(pod(), 'default', {}, { ...S, defaultInject: true }).inject, true);
    assert.equal(planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'false' }), 'default', {}, { ...S, defaultInject: true }).inject, false);
    assert.equal(planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-inject-status': 'injected' }), 'default', {}, S).inject, false);
    assert.equal(planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'true' }), 'kube-system', {}, S).inject, false);
  });

  it('refuses invalid annotations with clear messages', () => {
    const on = { 'consul.hashicorp.com/connect-inject': 'true' };
    const refuse = (a: Record<string, string>, re: RegExp, s = S, spec: Partial<Pod['spec']> = {}): void => assert.throws(() => planInjection(pod({ ...on, ...a }, spec), 'default', {}, s), re);
    assert.throws(() => planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'yes' }), 'default', {}, S), /Error checking if should inject: strconv.ParseBool: parsing "yes": invalid syntax/);
    refuse({ 'consul.hashicorp.com/connect-service-upstreams': 'backend.svc.east:1' }, /^Error: upstream structured incorrectly: backend.svc.east:1$/);
    refuse({ 'consul.hashicorp.com/connect-service-upstreams': 'backend.svc.east.peer:x' }, /invalid upstream local bind port "x" in "backend.svc.east.peer:x"/);
    refuse({ 'consul.hashicorp.com/connect-service-port': 'grpc' }, /invalid port "grpc" in annotation consul.hashicorp.com\/connect-service-port/);
    refuse({ 'consul.hashicorp.com/transparent-proxy': 'sometimes' }, /error determining if transparent proxy is enabled: strconv.ParseBool: parsing "sometimes"/);
    refuse({ 'consul.hashicorp.com/transparent-proxy-exclude-inbound-ports': '80,http' }, /invalid port .* "http" in annotation consul.hashicorp.com\/transparent-proxy-exclude-inbound-ports/);
    refuse({ 'consul.hashicorp.com/transparent-proxy-exclude-outbound-ports': '9:8' }, /"9:8" in annotation consul.hashicorp.com\/transparent-proxy-exclude-outbound-ports/);
    refuse({ 'consul.hashicorp.com/transparent-proxy-exclude-outbound-cidrs': '10.0.0.0/33' }, /invalid CIDR "10.0.0.0\/33"/);
    refuse({ 'consul.hashicorp.com/transparent-proxy-exclude-uids': '-1' }, /invalid UID "-1"/);
    refuse({ 'consul.hashicorp.com/connect-service-protocol': 'http' }, /Error validating pod: the "consul.hashicorp.com\/connect-service-protocol" annotation is no longer supported/);
    refuse({ 'consul.hashicorp.com/connect-service': 'a,b' }, /multi-port/);
  });

  it('with managed ACLs: login flags, and the service account must match the service name', () => {
    const acl = { ...S, authMethod: 'isthmus-k8s-auth-method' };
    const p = injected(planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service': 'client' }), 'default', {}, acl));
    const args = p.spec.containers[0]?.args as string[];
    assert.ok(args.includes('-login-auth-method=isthmus-k8s-auth-method'));
    assert.ok(args.includes('-login-bearer-token-path=/var/run/secrets/kubernetes.io/serviceaccount/token'));
    assert.ok(args.includes('-login-meta=pod=$(POD_NAMESPACE)/$(POD_NAME)'));
    assert.ok((p.spec.initContainers?.[0]?.args as string[]).includes('-login-auth-method=isthmus-k8s-auth-method'));
    assert.throws(
      () => planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service': 'client' }, { serviceAccountName: 'other' }), 'default', {}, acl),
      { message: "service account name other doesn't match annotation service name client" },
    );
    // Without managed ACLs the names may differ.
    assert.equal(planInjection(pod({ 'consul.hashicorp.com/connect-inject': 'true', 'consul.hashicorp.com/connect-service': 'client' }, { serviceAccountName: 'other' }), 'default', {}, S).inject, true);
  });

  it('gives app containers <NAME>_CONNECT_SERVICE_HOST/PORT for each upstream', () => {
    assert.deepEqual(upstreamEnv('backend.svc.cluster-02.peer:1234\nweb:80 prepared_query:q:9'), [
      { name: 'BACKEND.SVC.CLUSTER_02.PEER_CONNECT_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'BACKEND.SVC.CLUSTER_02.PEER_CONNECT_SERVICE_PORT', value: '1234' },
      { name: 'WEB_CONNECT_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'WEB_CONNECT_SERVICE_PORT', value: '80' },
    ]);
  });
});
