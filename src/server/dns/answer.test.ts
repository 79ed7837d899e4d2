// DNS name parsing and answers from a catalog (local and imported keyspaces).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService } from '../catalog/service.js';
import { answerDns, parseDnsName, type DnsContext } from './answer.js';

describe('parseDnsName', () => {
  const table: [string, unknown][] = [
    ['web.service.consul', { kind: 'service', service: 'web', peer: '', rfc2782: false }],
    ['v1.web.service.consul.', { kind: 'service', service: 'web', tag: 'v1', peer: '', rfc2782: false }],
    ['web.service.dc1.consul', { kind: 'service', service: 'web', peer: '', dc: 'dc1', rfc2782: false }],
    ['web.service.dc1.dc.consul', { kind: 'service', service: 'web', peer: '', dc: 'dc1', rfc2782: false }],
    ['static-server.service.dialing-to-acceptor.peer.consul', { kind: 'service', service: 'static-server', peer: 'dialing-to-acceptor', rfc2782: false }],
    ['_web._v1.service.east.peer.consul', { kind: 'service', service: 'web', tag: 'v1', peer: 'east', rfc2782: true }],
    ['n1.node.consul', { kind: 'node', node: 'n1' }],
    ['example.com', undefined],
  ];
  for (const [q, want] of table) it(`parses ${q}`, () => assert.deepEqual(parseDnsName(q, 'consul'), want));
});

describe('answerDns', () => {
  it('answers A and SRV for healthy instances, locally and from a peer keyspace', async () => {
    const c = new CatalogService({ store: new MemoryStore(), hub: new IndexHub(), log: SILENT_LOGGER });
    const node = (name: string, addr: string) => ({ ID: '', Node: name, Address: addr, Datacenter: 'dc1', TaggedAddresses: {}, Meta: {}, PeerName: '' });
    const svc = (n: string, id: string, port: number) => ({ Node: n, Kind: '', ID: id, Service: 'web', Tags: ['v1'], Address: '', TaggedAddresses: {}, Meta: {}, Port: port, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: '' });
    const check = (n: string, id: string, status: 'passing' | 'critical') => ({ Node: n, CheckID: `c-${id}`, Name: 'c', Status: status, Notes: '', Output: '', ServiceID: id, ServiceName: 'web', ServiceTags: [], Type: '', ExposedPort: 0, Definition: {}, PeerName: '' });
    await c.register({ nodeName: 'n1', node: node('n1', '10.0.0.1'), service: svc('n1', 'w1', 80), checks: [check('n1', 'w1', 'passing')] });
    await c.register({ nodeName: 'n2', node: node('n2', '10.0.0.2'), service: svc('n2', 'w2', 81), checks: [check('n2', 'w2', 'critical')] });
    await c.applyImportedService('east', 'web', [{ node: { ...node('e1', '192.0.2.1'), PeerName: 'east' }, service: { ...svc('e1', 'w9', 90), PeerName: 'east' }, checks: [] }]);
    const ctx: DnsContext = { reader: c.reader, domain: 'consul', datacenter: 'dc1', canReadService: () => true, canReadNode: () => true };
    assert.deepEqual(answerDns('web.service.consul', 'A', ctx).answers.map((a) => a.data), ['10.0.0.1'], 'critical instances are left out');
    const srv = answerDns('web.service.consul', 'SRV', ctx);
    assert.deepEqual(srv.answers.map((a) => a.data), [{ priority: 1, weight: 1, port: 80, target: 'n1.node.dc1.consul' }]);
    assert.deepEqual(srv.additionals.map((a) => a.data), ['10.0.0.1']);
    assert.deepEqual(answerDns('web.service.east.peer.consul', 'A', ctx).answers.map((a) => a.data), ['192.0.2.1']);
    assert.equal(answerDns('nope.service.consul', 'A', ctx).rcode, 'NXDOMAIN');
    assert.equal(answerDns('web.service.dc9.consul', 'A', ctx).rcode, 'NXDOMAIN');
    assert.deepEqual(answerDns('n2.node.consul', 'A', ctx).answers.map((a) => a.data), ['10.0.0.2']);
    assert.equal(answerDns('web.service.consul', 'A', { ...ctx, canReadService: () => false }).rcode, 'REFUSED');
  });
});
