import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpstreams, upstreamEnv } from './upstreams.js';

describe('connect-service-upstreams (kubernetes.md §6.1)', () => {
  it('reads the labeled forms, the peer form included, and the unlabeled form', () => {
    assert.deepEqual(parseUpstreams('backend.svc.east.peer:1234, api.svc:9000 ,db:5432:dc2, web.svc.dc3.dc:80'), [
      { DestinationType: 'service', DestinationName: 'backend', DestinationPeer: 'east', LocalBindPort: 1234 },
      { DestinationType: 'service', DestinationName: 'api', LocalBindPort: 9000 },
      { DestinationType: 'service', DestinationName: 'db', LocalBindPort: 5432, Datacenter: 'dc2' },
      { DestinationType: 'service', DestinationName: 'web', Datacenter: 'dc3', LocalBindPort: 80 },
    ]);
    assert.deepEqual(parseUpstreams(undefined), []);
    assert.deepEqual(parseUpstreams(' , '), []);
  });

  it('resolves named container ports and reads the third segment (port or options)', () => {
    assert.equal(parseUpstreams('api.svc:http', { http: 8080 })[0]?.LocalBindPort, 8080);
    assert.equal(parseUpstreams('api.svc:1000:8443')[0]?.DestinationPort, 8443);
    assert.deepEqual(parseUpstreams('api.svc.east.peer:1000:destination_port=9&local-bind-address=127.0.0.2&meshGatewayMode=local')[0], {
      DestinationType: 'service', DestinationName: 'api', DestinationPeer: 'east', LocalBindPort: 1000, DestinationPort: 9, LocalBindAddress: '127.0.0.2', MeshGateway: { Mode: 'local' },
    });
    assert.deepEqual(parseUpstreams('prepared_query:q1:7000'), [{ DestinationType: 'prepared_query', DestinationName: 'q1', LocalBindPort: 7000 }]);
  });

  it('refuses bad entries with consul-k8s texts', () => {
    assert.throws(() => parseUpstreams('backend.svc.east.peers:1234'), { message: 'upstream structured incorrectly: backend.svc.east.peers:1234' });
    assert.throws(() => parseUpstreams('backend.svc.a.b.c:1'), { message: 'upstream structured incorrectly: backend.svc.a.b.c:1' });
    assert.throws(() => parseUpstreams('backend.svc.east.peer:abc'), { message: 'invalid upstream local bind port "abc" in "backend.svc.east.peer:abc"' });
    assert.throws(() => parseUpstreams('backend.svc'), { message: 'invalid upstream local bind port "" in "backend.svc"' });
    assert.throws(() => parseUpstreams('web:0'), { message: 'invalid upstream local bind port "0" in "web:0"' });
    assert.throws(() => parseUpstreams('web:70000'), /invalid upstream local bind port "70000"/);
    assert.throws(() => parseUpstreams('api.svc:1:mesh_gateway_mode=far'), { message: 'invalid upstream mesh gateway mode "far" in "api.svc:1:mesh_gateway_mode=far"' });
    assert.throws(() => parseUpstreams('api.svc:1:color=red'), { message: 'unsupported upstream option "color" in "api.svc:1:color=red"' });
  });

  it('gives app containers <NAME>_CONNECT_SERVICE_HOST/PORT', () => {
    assert.deepEqual(upstreamEnv('backend.svc.cluster-02.peer:1234\nweb:80'), [
      { name: 'BACKEND.SVC.CLUSTER_02.PEER_CONNECT_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'BACKEND.SVC.CLUSTER_02.PEER_CONNECT_SERVICE_PORT', value: '1234' },
      { name: 'WEB_CONNECT_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'WEB_CONNECT_SERVICE_PORT', value: '80' },
    ]);
  });
});
