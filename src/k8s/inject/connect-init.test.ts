import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickProxy, type NodeService } from './connect-init.js';

const svc = (ID: string, pod: string, kind?: string, dest?: string): NodeService => ({
  ID,
  Service: ID,
  ...(kind ? { Kind: kind, Proxy: { DestinationServiceName: dest ?? '' } } : {}),
  Meta: { 'pod-name': pod, 'k8s-namespace': 'default' },
});

describe('connect-init pickProxy', () => {
  const ref = { node: 'n1-virtual', pod: 'web-1', namespace: 'default' };
  it('answers only when exactly the service and its proxy of this pod are registered', () => {
    assert.equal(pickProxy([], ref), undefined);
    assert.equal(pickProxy([svc('web-1-web', 'web-1')], ref), undefined);
    assert.equal(pickProxy([svc('web-1-web', 'web-1'), svc('web-1-web-sidecar-proxy', 'web-1', 'connect-proxy', 'web'), svc('web-2-web', 'web-2')], ref), 'web-1-web-sidecar-proxy');
    assert.equal(pickProxy([svc('web-1-web', 'web-1'), svc('web-1-web-sidecar-proxy', 'web-1', 'connect-proxy', 'web'), svc('x', 'web-1')], ref), undefined, 'three services of this pod');
    assert.equal(pickProxy([svc('a', 'web-1'), svc('b', 'web-1')], ref), undefined, 'no proxy among them');
    assert.equal(pickProxy([svc('web-1-web', 'web-1'), svc('web-1-web-sidecar-proxy', 'web-1', 'connect-proxy', 'web')], { ...ref, service: 'api' }), undefined, 'proxy of another service');
    // Multi-port: a pair per service; each init container waits for its own.
    const multi = [svc('web-1-web', 'web-1'), svc('web-1-web-sidecar-proxy', 'web-1', 'connect-proxy', 'web'), { ...svc('web-1-admin', 'web-1'), Service: 'admin' }];
    const named = (id: string, s: string): NodeService => ({ ...svc(id, 'web-1'), Service: s });
    multi[0] = named('web-1-web', 'web');
    assert.equal(pickProxy(multi, { ...ref, service: 'web' }), 'web-1-web-sidecar-proxy');
    assert.equal(pickProxy(multi, { ...ref, service: 'admin' }), undefined, 'the admin proxy is not there yet');
    assert.equal(pickProxy([...multi, svc('web-1-admin-sidecar-proxy', 'web-1', 'connect-proxy', 'admin')], { ...ref, service: 'admin' }), 'web-1-admin-sidecar-proxy');
  });
});
