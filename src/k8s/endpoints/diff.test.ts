import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffRegistrations, heldFor, type HeldInstance } from './diff.js';
import type { Registration } from './types.js';

const meta = { 'pod-name': 'p1', 'k8s-service-name': 'web', 'k8s-namespace': 'default', 'managed-by': 'consul-k8s-endpoints-controller', 'pod-uid': 'u', 'synthetic-node': 'true' };
const reg = (id: string, status: 'passing' | 'critical' = 'passing', node = 'n-virtual'): Registration => ({
  Node: node,
  Address: '172.18.0.2',
  NodeMeta: { 'synthetic-node': 'true' },
  SkipNodeUpdate: true,
  Service: { ID: id, Service: 'web', Port: 8080, Address: '10.0.0.7', Meta: meta, Tags: [], Proxy: { DestinationServiceName: 'web', Upstreams: [{ DestinationType: 'service', DestinationName: 'db', LocalBindPort: 1 }] } },
  Check: { CheckID: `default/${id}`, Name: 'Kubernetes Readiness Check', Type: 'kubernetes-readiness', Status: status, ServiceID: id, Output: status === 'passing' ? 'Kubernetes health checks passing' : 'Pod "default/p1" is not ready' },
});
/** As the catalog answers it: server defaults added (Weights, consul-virtual, upstream defaults). */
const held = (r: Registration): HeldInstance => ({
  Node: r.Node,
  Service: { ...r.Service, TaggedAddresses: { 'consul-virtual': { Address: '240.0.0.1', Port: 8080 } }, Proxy: { ...r.Service.Proxy, Upstreams: [{ ...(r.Service.Proxy?.Upstreams as object[])[0], Config: {} }], Expose: {} } },
  Checks: [{ ...r.Check }],
});

describe('endpoints diff', () => {
  it('an unchanged instance (server defaults aside) is not re-registered', () => {
    assert.deepEqual(diffRegistrations([reg('p1-web')], [held(reg('p1-web'))]), { register: [], deregister: [] });
  });

  it('a missing instance, a health change, or a changed field is (re)registered', () => {
    assert.equal(diffRegistrations([reg('p1-web')], []).register.length, 1);
    assert.equal(diffRegistrations([reg('p1-web', 'critical')], [held(reg('p1-web'))]).register[0]?.Check.Status, 'critical');
    const moved = reg('p1-web');
    moved.Service.Port = 9090;
    assert.equal(diffRegistrations([moved], [held(reg('p1-web'))]).register.length, 1);
    const noUpstreams = reg('p1-web');
    noUpstreams.Service.Proxy = { DestinationServiceName: 'web' };
    assert.equal(diffRegistrations([noUpstreams], [held(reg('p1-web'))]).register.length, 1, 'upstreams removed');
  });

  it('held instances no longer desired are deregistered (also when the pod moved node), unless retained', () => {
    const d = diffRegistrations([reg('p1-web', 'passing', 'other-virtual')], [held(reg('p1-web')), held(reg('p2-web'))]);
    assert.deepEqual(d.deregister, [
      { Node: 'n-virtual', ServiceID: 'p1-web' },
      { Node: 'n-virtual', ServiceID: 'p2-web' },
    ]);
    assert.deepEqual(diffRegistrations([], [held(reg('p2-web'))], ['p2-web']).deregister, []);
  });

  it('held instances are matched by their k8s meta and the managed-by value', () => {
    const h = held(reg('p1-web'));
    assert.equal(heldFor(h, 'default', 'web'), true);
    assert.equal(heldFor(h, 'other', 'web'), false);
    assert.equal(heldFor(h, 'default', 'api'), false);
    assert.equal(heldFor({ ...h, Service: { ...h.Service, Meta: { ...meta, 'managed-by': 'someone-else' } } }, 'default', 'web'), false);
  });
});
