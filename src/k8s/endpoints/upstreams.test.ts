import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpstreams } from './upstreams.js';
import type { PodObj } from './types.js';

const pod: PodObj = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', ports: [{ name: 'api', containerPort: 7070 }] }] } };

describe('connect-service-upstreams', () => {
  it('labeled forms: <svc>.svc, the peer form, the dc form', () => {
    assert.deepEqual(parseUpstreams(' backend.svc:9000 , backend.svc.cluster-02.peer:9001,db.svc.west.dc:9002'), [
      { DestinationType: 'service', DestinationName: 'backend', LocalBindPort: 9000 },
      { DestinationType: 'service', DestinationName: 'backend', DestinationPeer: 'cluster-02', LocalBindPort: 9001 },
      { DestinationType: 'service', DestinationName: 'db', Datacenter: 'west', LocalBindPort: 9002 },
    ]);
  });

  it('unlabeled form with a datacenter; named container ports; prepared queries', () => {
    assert.deepEqual(parseUpstreams('db:api:east,prepared_query:geo:8181', pod), [
      { DestinationType: 'service', DestinationName: 'db', LocalBindPort: 7070, Datacenter: 'east' },
      { DestinationType: 'prepared_query', DestinationName: 'geo', LocalBindPort: 8181 },
    ]);
  });

  it('third segment: destination port, or options', () => {
    assert.deepEqual(parseUpstreams('a.svc:1:8080'), [{ DestinationType: 'service', DestinationName: 'a', LocalBindPort: 1, DestinationPort: 8080 }]);
    assert.deepEqual(parseUpstreams('a.svc:1:destination-port=8080&local_bind_address=127.0.0.2&meshGatewayMode=local&dc=x'), [
      { DestinationType: 'service', DestinationName: 'a', LocalBindPort: 1, DestinationPort: 8080, LocalBindAddress: '127.0.0.2', MeshGateway: { Mode: 'local' }, Datacenter: 'x' },
    ]);
  });

  it('errors with consul-k8s texts', () => {
    assert.throws(() => parseUpstreams('a.svc.x:1'), { message: 'upstream structured incorrectly: a.svc.x:1' });
    assert.throws(() => parseUpstreams('a.svc.x.ns.y.peer:1'), { message: 'upstream structured incorrectly: a.svc.x.ns.y.peer:1' });
    assert.throws(() => parseUpstreams('a.svc:0'), { message: 'invalid upstream local bind port "0" in "a.svc:0"' });
    assert.throws(() => parseUpstreams('a:nope'), { message: 'invalid upstream local bind port "nope" in "a:nope"' });
    assert.throws(() => parseUpstreams('a.svc.east.peer:70000'), { message: 'invalid upstream local bind port "70000" in "a.svc.east.peer:70000"' });
    assert.throws(() => parseUpstreams('a.svc'), { message: 'invalid upstream local bind port "" in "a.svc"' });
    assert.throws(() => parseUpstreams('a.svc.east.peers:1'), { message: 'upstream structured incorrectly: a.svc.east.peers:1' });
    assert.throws(() => parseUpstreams('a.svc:1:mesh_gateway_mode=far'), { message: 'invalid upstream mesh gateway mode "far" in "a.svc:1:mesh_gateway_mode=far"' });
    assert.throws(() => parseUpstreams('a.svc:1:colour=red'), { message: 'unsupported upstream option "colour" in "a.svc:1:colour=red"' });
  });
});
