import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ConfigCR, PeeringCR } from './types.js';
import { validateConfig, validatePeering } from './validate.js';

const peer = (name: string, secret: Record<string, string> | undefined, ns = 'default'): PeeringCR => ({ metadata: { name, namespace: ns }, spec: secret ? { peer: { secret } } : {} });
const cfg = (name: string, spec: Record<string, unknown>, ns = 'default'): ConfigCR => ({ metadata: { name, namespace: ns }, spec });
const K = { name: 'tok', key: 'data', backend: 'kubernetes' };

describe('peering webhook checks', () => {
  it('uses consul-k8s field errors wrapped as an Invalid', () => {
    assert.equal(validatePeering('PeeringAcceptor', 'CREATE', peer('a', undefined), []).message, 'peeringacceptors.consul.hashicorp.com "a" is invalid: spec.peer: Invalid value: null: peer must be specified');
    assert.equal(validatePeering('PeeringDialer', 'CREATE', { metadata: { name: 'd', namespace: 'default' }, spec: { peer: {} } }, []).message, 'peeringdialers.consul.hashicorp.com "d" is invalid: spec.peer.secret: Invalid value: null: secret must be specified');
    assert.equal(validatePeering('PeeringAcceptor', 'UPDATE', peer('a', { ...K, backend: 'vault' }), []).message, 'peeringacceptors.consul.hashicorp.com "a" is invalid: spec.peer.secret.backend: Invalid value: "vault": backend must be "kubernetes"');
  });
  it('rejects a second resource with the same secret name in the namespace, on CREATE only', () => {
    const existing = [peer('a', K)];
    assert.equal(validatePeering('PeeringDialer', 'CREATE', peer('b', K), existing).message, 'an existing PeeringDialer resource has the same secret name `name: tok, namespace: default`');
    assert.ok(validatePeering('PeeringDialer', 'CREATE', peer('b', K, 'other'), existing).allowed);
    assert.ok(validatePeering('PeeringDialer', 'UPDATE', peer('b', K), existing).allowed);
    assert.equal(validatePeering('PeeringAcceptor', 'CREATE', peer('c', { ...K, name: 'x' }), existing).message, 'valid peeringacceptors request');
  });
});

describe('config-entry webhook checks', () => {
  it('exported services: one per cluster, named default, consumers well formed, no wildcards', () => {
    const ok = cfg('default', { services: [{ name: 'api', consumers: [{ peer: 'west' }] }] });
    assert.ok(validateConfig('ExportedServices', 'exportedservices', 'CREATE', ok, []).allowed);
    assert.equal(validateConfig('ExportedServices', 'exportedservices', 'CREATE', ok, [cfg('default', {}, 'other')]).message, 'exportedservices resource already defined - only one exportedservices entry is supported per Kubernetes cluster');
    const msg = (spec: Record<string, unknown>, name = 'default'): string => validateConfig('ExportedServices', 'exportedservices', 'UPDATE', cfg(name, spec), []).message;
    assert.match(msg({ services: [{ name: 'a', consumers: [{ peer: 'w' }] }] }, 'x'), /name: Invalid value: "x": exportedservices resource name must be "default"/);
    assert.match(msg({ services: [] }), /at least one service must be exported/);
    assert.match(msg({ services: [{ name: 'a' }] }), /service must have at least 1 consumer\./);
    assert.match(msg({ services: [{ name: 'a', consumers: [{ peer: 'w', samenessGroup: 'g' }] }] }), /service consumer must define at most one of Peer, Partition, or SamenessGroup/);
    assert.match(msg({ services: [{ name: 'a', consumers: [{}] }] }), /service consumer must define at least one of Peer, Partition, or SamenessGroup/);
    assert.match(msg({ services: [{ name: 'a', consumers: [{ peer: '*' }] }] }), /exporting to all peers \(wildcard\) is not supported/);
    assert.match(msg({ services: [{ name: 'a', consumers: [{ samenessGroup: '*' }] }] }), /exporting to all sameness groups \(wildcard\) is not supported/);
  });
  it('mesh and proxy-defaults: fixed names, one each', () => {
    assert.equal(validateConfig('Mesh', 'meshes', 'CREATE', cfg('m', {}), []).message, 'mesh resource name must be "mesh"');
    assert.equal(validateConfig('Mesh', 'meshes', 'CREATE', cfg('mesh', {}), [cfg('mesh', {}, 'x')]).message, 'mesh resource already defined - only one mesh entry is supported');
    assert.equal(validateConfig('ProxyDefaults', 'proxydefaults', 'CREATE', cfg('g', {}), []).message, 'proxydefaults resource name must be "global"');
    assert.equal(validateConfig('ProxyDefaults', 'proxydefaults', 'CREATE', cfg('global', {}), [cfg('global', {}, 'x')]).message, 'proxydefaults resource already defined - only one global entry is supported');
    assert.match(validateConfig('ProxyDefaults', 'proxydefaults', 'CREATE', cfg('global', { meshGateway: { mode: 'far' } }), []).message, /spec\.meshGateway\.mode: Invalid value: "far": must be one of "remote", "local", "none", ""/);
  });
  it('service defaults: peer upstream rules, mode none refused for a peer', () => {
    const m = (uc: Record<string, unknown>): string => validateConfig('ServiceDefaults', 'servicedefaults', 'CREATE', cfg('web', { upstreamConfig: uc }), []).message;
    assert.match(m({ overrides: [{ name: 'a', peer: 'p', namespace: 'n' }] }), /both namespace and peer cannot be specified\./);
    assert.match(m({ overrides: [{ name: 'a', peer: 'p', partition: 'n' }] }), /both partition and peer cannot be specified\./);
    assert.match(m({ defaults: { peer: 'p' } }), /upstream\.peer for a default upstream must be ""/);
    assert.match(m({ overrides: [{ name: 'a', peer: 'p', meshGateway: { mode: 'none' } }] }), /mesh gateway mode "none" is not supported for a peer upstream/);
    assert.equal(m({ overrides: [{ name: 'a', peer: 'p', meshGateway: { mode: 'local' } }] }), 'valid servicedefaults request');
  });
  it('names are unique across namespaces (with the en dash)', () => {
    assert.equal(validateConfig('ServiceDefaults', 'servicedefaults', 'CREATE', cfg('web', {}), [cfg('web', {}, 'other')]).message, 'servicedefaults resource with name "web" is already defined – all servicedefaults resources must have unique names across namespaces');
  });
  it('intentions: peer rules and one resource per destination', () => {
    const m = (sources: unknown[]): string => validateConfig('ServiceIntentions', 'serviceintentions', 'CREATE', cfg('i', { destination: { name: 'db' }, sources }), []).message;
    assert.match(m([{ name: 'web', peer: '*', action: 'allow' }]), /peer cannot use or contain wildcard '\*'/);
    assert.match(m([{ name: 'web', peer: 'p', partition: 'x', action: 'allow' }]), /cannot set peer and partition at the same time\./);
    assert.match(m([{ name: 'web', peer: 'p', samenessGroup: 'g', action: 'allow' }]), /cannot set samenessgroup and peer at the same time\./);
    assert.match(m([]), /at least one source must be specified/);
    assert.equal(m([{ name: 'web', peer: 'p', action: 'allow' }]), 'valid serviceintentions request');
    const dup = validateConfig('ServiceIntentions', 'serviceintentions', 'CREATE', cfg('j', { destination: { name: 'db' }, sources: [{ name: 'a', action: 'allow' }] }), [cfg('i', { destination: { name: 'db' } })]);
    assert.equal(dup.message, 'an existing ServiceIntentions resource has `spec.destination.name: db`');
  });
  it('resolvers: redirect and failover peer rules', () => {
    const m = (spec: Record<string, unknown>): string => validateConfig('ServiceResolver', 'serviceresolvers', 'CREATE', cfg('db', spec), []).message;
    assert.match(m({ redirect: { peer: 'p', serviceSubset: 'v1', service: 'db' } }), /peer cannot be set with serviceSubset/);
    assert.match(m({ redirect: { peer: 'p' } }), /peer defined without service/);
    assert.match(m({ failover: { '*': { targets: [{ peer: 'p', datacenter: 'dc2' }] } } }), /target\.peer cannot be set with target\.datacenter/);
    assert.match(m({ failover: { '*': { targets: [{ peer: 'p' }], datacenters: ['dc2'] } } }), /targets cannot be set with datacenters/);
    assert.equal(m({ failover: { '*': { targets: [{ peer: 'p' }] } } }), 'valid serviceresolvers request');
  });
});
