// DNS name parsing and answers from a catalog (local and imported keyspaces), per consul-tools.md §2.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService } from '../catalog/service.js';
import type { CheckRecord, NodeRecord, ServiceRecord } from '../catalog/types.js';
import { answerDns, nodeMetaTxt, serviceTtl, type DnsContext, type DnsRecord } from './answer.js';
import { canonicalIp, hexToIp, ipToHex, parseDnsName, parsePtrName } from './names.js';

describe('parseDnsName', () => {
  const table: [string, unknown][] = [
    ['web.service.consul', { kind: 'service', service: 'web', rfc2782: false }],
    ['v1.web.service.consul.', { kind: 'service', service: 'web', tag: 'v1', rfc2782: false }],
    ['web.service.dc1.consul', { kind: 'service', service: 'web', dc: 'dc1', rfc2782: false }],
    ['web.service.dc1.dc.consul', { kind: 'service', service: 'web', dc: 'dc1', rfc2782: false }],
    ['static-server.service.dialing-to-acceptor.peer.consul', { kind: 'service', service: 'static-server', peer: 'dialing-to-acceptor', rfc2782: false }],
    ['_web._v1.service.east.peer.consul', { kind: 'service', service: 'web', tag: 'v1', peer: 'east', rfc2782: true }],
    ['_web._tcp.consul', { kind: 'service', service: 'web', rfc2782: true }],
    ['web.service.dc1.dc.east.peer.consul', { kind: 'invalid' }],
    ['n1.node.consul', { kind: 'node', node: 'n1' }],
    ['n1.example.node.dc1.consul', { kind: 'node', node: 'n1.example', dc: 'dc1' }],
    ['e1.node.east.peer.consul', { kind: 'node', node: 'e1', peer: 'east' }],
    ['7f000001.addr.dc1.consul', { kind: 'addr', hex: '7f000001', dc: 'dc1' }],
    ['web.connect.consul', { kind: 'connect', service: 'web' }],
    ['web.virtual.east.consul', { kind: 'virtual', service: 'web', peer: 'east' }],
    ['q.query.consul', { kind: 'query', name: 'q' }],
    ['consul', { kind: 'apex' }],
    ['junk.consul', { kind: 'invalid' }],
  ];
  for (const [q, want] of table) it(`parses ${q}`, () => assert.deepEqual(parseDnsName(q, ['consul'])?.query, want));
  it('is undefined outside the domain, and matches the alt domain', () => {
    assert.equal(parseDnsName('example.com', ['consul']), undefined);
    assert.equal(parseDnsName('web.service.isthmus.', ['consul', 'isthmus'])?.domain, 'isthmus');
  });
});

describe('addresses in names', () => {
  it('converts hex, PTR names and IPv6 text', () => {
    assert.equal(ipToHex('127.0.0.1'), '7f000001');
    assert.deepEqual(hexToIp('7f000001'), { ip: '127.0.0.1', family: 4 });
    assert.equal(ipToHex('2001:db8::1'), '20010db8000000000000000000000001');
    assert.deepEqual(hexToIp('20010db8000000000000000000000001'), { ip: '2001:db8::1', family: 6 });
    assert.equal(hexToIp('7f00001'), undefined);
    assert.equal(parsePtrName('4.3.2.10.in-addr.arpa.'), '10.2.3.4');
    assert.equal(parsePtrName('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa'), '2001:db8::1');
    assert.equal(parsePtrName('3.2.10.in-addr.arpa'), undefined);
    assert.equal(canonicalIp('2001:0db8:0:0:0:0:0:0001'), '2001:db8::1');
  });
  it('writes node meta as RFC 1464 TXT', () => {
    assert.deepEqual(nodeMetaTxt({ rack: 'r1', 'a=b': 'c', 'rfc1035-raw': 'v=spf1 -all', ' sp': 'x' }), ['` sp=x', 'a`=b=c', 'rack=r1', 'v=spf1 -all']);
  });
});

const node = (name: string, addr: string, meta: Record<string, string> = {}): NodeRecord => ({ ID: '', Node: name, Address: addr, Datacenter: 'dc1', TaggedAddresses: {}, Meta: meta, PeerName: '' });
const svc = (n: string, id: string, name: string, port: number, extra: Partial<ServiceRecord> = {}): ServiceRecord => ({
  Node: n, Kind: '', ID: id, Service: name, Tags: ['v1'], Address: '', TaggedAddresses: {}, Meta: {}, Port: port, SocketPath: '', Weights: { Passing: 5, Warning: 2 }, EnableTagOverride: false, PeerName: '', ...extra,
});
const check = (n: string, id: string, name: string, status: CheckRecord['Status']): CheckRecord => ({
  Node: n, CheckID: `c-${id}`, Name: 'c', Status: status, Notes: '', Output: '', ServiceID: id, ServiceName: name, ServiceTags: [], Type: '', ExposedPort: 0, Definition: {}, PeerName: '',
});

describe('answerDns', () => {
  let ctx: DnsContext;
  before(async () => {
    const c = new CatalogService({ store: new MemoryStore(), hub: new IndexHub(), log: SILENT_LOGGER });
    await c.register({ nodeName: 'n1', node: node('n1', '10.0.0.1', { rack: 'r1' }), service: svc('n1', 'w1', 'web', 80), checks: [check('n1', 'w1', 'web', 'passing')] });
    await c.register({ nodeName: 'n2', node: node('n2', '10.0.0.2'), service: svc('n2', 'w2', 'web', 81), checks: [check('n2', 'w2', 'web', 'critical')] });
    await c.register({ nodeName: 'n3', node: node('n3', '10.0.0.3'), service: svc('n3', 'w3', 'web', 82, { Address: '10.9.9.9' }), checks: [check('n3', 'w3', 'web', 'warning')] });
    await c.register({ nodeName: 'n1', service: svc('n1', 'consul', 'consul', 8300, { Tags: [] }), checks: [] });
    await c.register({ nodeName: 'n6', node: node('n6', '2001:db8::6'), service: svc('n6', 'db6', 'db', 5432), checks: [] });
    await c.applyImportedService('east', 'web', [{ node: { ...node('e1', '192.0.2.1'), PeerName: 'east' }, service: { ...svc('e1', 'w9', 'web', 90), PeerName: 'east' }, checks: [] }]);
    ctx = { reader: c.reader, domain: 'consul', altDomain: 'isthmus', datacenter: 'dc1', canReadService: () => true, canReadNode: () => true, now: () => 1_700_000_000, shuffle: (x) => x };
  });
  const data = (rs: DnsRecord[]): unknown[] => rs.map((r) => r.data);
  const soa = { mname: 'ns.consul', rname: 'hostmaster.consul', serial: 1_700_000_000, refresh: 3600, retry: 600, expire: 86400, minimum: 0 };

  it('answers A for healthy and warning instances (critical left out), service address first', () => {
    assert.deepEqual(data(answerDns('web.service.consul', 'A', ctx).answers), ['10.0.0.1', '10.9.9.9']);
    assert.deepEqual(data(answerDns('web.service.consul', 'A', { ...ctx, options: { onlyPassing: true } }).answers), ['10.0.0.1']);
    assert.deepEqual(data(answerDns('web.service.consul', 'A', { ...ctx, options: { aRecordLimit: 1 } }).answers), ['10.0.0.1']);
  });

  it('answers SRV with node targets (or addr targets), weights, and target records with node-meta TXT', () => {
    const a = answerDns('web.service.consul', 'SRV', ctx);
    assert.deepEqual(data(a.answers), [
      { priority: 1, weight: 5, port: 80, target: 'n1.node.dc1.consul' },
      { priority: 1, weight: 2, port: 82, target: '0a090909.addr.dc1.consul' },
    ]);
    assert.deepEqual(a.additionals.map((r) => [r.name, r.type, r.data]), [
      ['n1.node.dc1.consul', 'A', '10.0.0.1'],
      ['n1.node.dc1.consul', 'TXT', 'rack=r1'],
      ['0a090909.addr.dc1.consul', 'A', '10.9.9.9'],
    ]);
    assert.equal(answerDns('web.service.consul', 'SRV', { ...ctx, options: { enableAdditionalNodeMetaTxt: false } }).additionals.some((r) => r.type === 'TXT'), false);
  });

  it('answers for peers: SRV targets under .peer, and those targets resolve', () => {
    const srv = answerDns('web.service.east.peer.consul', 'SRV', ctx);
    assert.deepEqual(data(srv.answers), [{ priority: 1, weight: 5, port: 90, target: 'e1.node.east.peer.consul' }]);
    assert.deepEqual(data(answerDns('e1.node.east.peer.consul', 'A', ctx).answers), ['192.0.2.1']);
    assert.equal(answerDns('e1.node.consul', 'A', ctx).rcode, 'NXDOMAIN', 'an imported node is not a local one');
  });

  it('puts the SOA in AUTHORITY of NXDOMAIN and no-data answers', () => {
    for (const [q, t] of [['nope.service.consul', 'A'], ['web.service.dc9.consul', 'A'], ['nope.node.consul', 'A'], ['junk.consul', 'A'], ['q.query.consul', 'SRV']] as const) {
      const a = answerDns(q, t, ctx);
      assert.equal(a.rcode, 'NXDOMAIN', q);
      assert.deepEqual(a.authorities.map((r) => [r.name, r.type, r.ttl, r.data]), [['consul', 'SOA', 0, soa]], q);
    }
    const nodata = answerDns('web.service.consul', 'AAAA', ctx);
    assert.equal(nodata.rcode, 'NOERROR');
    assert.deepEqual(nodata.answers, []);
    assert.equal(nodata.authorities[0]?.type, 'SOA');
    assert.equal(answerDns('n1.node.consul', 'MX', ctx).authorities[0]?.type, 'SOA');
    const custom = answerDns('nope.node.consul', 'A', { ...ctx, options: { soa: { refresh: 1, retry: 2, expire: 3, minTtl: 4 } } }).authorities[0];
    assert.deepEqual([custom?.ttl, custom?.data], [4, { ...soa, refresh: 1, retry: 2, expire: 3, minimum: 4 }]);
  });

  it('answers SOA and NS for the domain, naming the servers of the consul service', () => {
    const s = answerDns('consul.', 'SOA', ctx);
    assert.equal(s.rcode, 'NOERROR');
    assert.deepEqual(data(s.answers), [soa]);
    assert.deepEqual(s.authorities.map((r) => [r.name, r.type, r.data]), [['consul', 'NS', 'n1.node.dc1.consul']]);
    assert.deepEqual(s.additionals.map((r) => [r.name, r.type, r.data]), [['n1.node.dc1.consul', 'A', '10.0.0.1']]);
    const ns = answerDns('consul', 'NS', ctx);
    assert.deepEqual(ns.answers.map((r) => [r.name, r.type, r.data]), [['consul', 'NS', 'n1.node.dc1.consul']]);
    assert.equal(ns.additionals.length, 1);
    assert.equal(answerDns('web.service.consul', 'SOA', ctx).answers[0]?.type, 'SOA', 'SOA anywhere in the domain');
    assert.equal(answerDns('isthmus', 'SOA', ctx).answers[0]?.name, 'isthmus', 'the alt domain answers with its own name');
    assert.deepEqual(data(answerDns('consul.service.consul', 'SRV', ctx).answers), [{ priority: 1, weight: 5, port: 8300, target: 'n1.node.dc1.consul' }]);
  });

  it('answers node A, AAAA, TXT and ANY', () => {
    const a = answerDns('n1.node.dc1.consul', 'A', ctx);
    assert.deepEqual(data(a.answers), ['10.0.0.1']);
    assert.deepEqual(a.additionals.map((r) => [r.type, r.data]), [['TXT', 'rack=r1']]);
    assert.deepEqual(data(answerDns('n1.node.consul', 'TXT', ctx).answers), ['rack=r1']);
    assert.deepEqual(answerDns('n1.node.consul', 'ANY', ctx).answers.map((r) => r.type), ['A', 'TXT']);
    assert.deepEqual(data(answerDns('n6.node.consul', 'AAAA', ctx).answers), ['2001:db8::6']);
    assert.deepEqual(data(answerDns('db.service.consul', 'AAAA', ctx).answers), ['2001:db8::6']);
    assert.equal(answerDns('n6.node.consul', 'A', ctx).authorities[0]?.type, 'SOA');
  });

  it('matches node, service and tag names case-insensitively', async () => {
    const c = new CatalogService({ store: new MemoryStore(), hub: new IndexHub(), log: SILENT_LOGGER });
    await c.register({ nodeName: 'Web-Node', node: node('Web-Node', '10.5.0.1'), service: svc('Web-Node', 'p1', 'Payments', 80, { Tags: ['Blue'] }), checks: [] });
    const cx = { ...ctx, reader: c.reader };
    assert.deepEqual(data(answerDns('web-node.node.consul', 'A', cx).answers), ['10.5.0.1']);
    assert.deepEqual(data(answerDns('PAYMENTS.service.consul', 'A', cx).answers), ['10.5.0.1']);
    assert.deepEqual(data(answerDns('blue.payments.service.consul', 'SRV', cx).answers), [{ priority: 1, weight: 5, port: 80, target: 'Web-Node.node.dc1.consul' }]);
    assert.equal(answerDns('green.payments.service.consul', 'A', cx).rcode, 'NXDOMAIN');
  });

  it('applies service_ttl (exact, then longest prefix, else node_ttl) and node_ttl', () => {
    const o = { nodeTtl: 7, serviceTtl: { '*': 1, 'we*': 2, 'web*': 3, web: 4 } };
    assert.deepEqual(['web', 'webby', 'wet', 'db'].map((n) => serviceTtl(o, n)), [4, 3, 2, 1]);
    assert.equal(serviceTtl({ nodeTtl: 7, serviceTtl: { api: 1 } }, 'db'), 7);
    const withTtl = { ...ctx, options: { nodeTtl: 10, serviceTtl: { 'w*': 30 } } };
    assert.deepEqual(answerDns('web.service.consul', 'SRV', withTtl).answers.map((r) => r.ttl), [30, 30]);
    assert.deepEqual(answerDns('n1.node.consul', 'A', withTtl).answers.map((r) => r.ttl), [10]);
    assert.deepEqual(answerDns('1.0.0.10.in-addr.arpa', 'PTR', withTtl).answers.map((r) => r.ttl), [0], 'PTR TTL is 0');
  });

  it('answers <hex>.addr forms', () => {
    assert.deepEqual(data(answerDns('7f000001.addr.dc1.consul', 'A', ctx).answers), ['127.0.0.1']);
    assert.deepEqual(data(answerDns('20010db8000000000000000000000001.addr.consul', 'AAAA', ctx).answers), ['2001:db8::1']);
    assert.equal(answerDns('7f0001.addr.consul', 'A', ctx).rcode, 'NXDOMAIN');
    assert.equal(answerDns('7f000001.addr.consul', 'AAAA', ctx).rcode, 'NOERROR');
  });

  it('answers PTR for node addresses, then service addresses; NXDOMAIN with SOA otherwise', () => {
    assert.deepEqual(answerDns('1.0.0.10.in-addr.arpa.', 'PTR', ctx).answers.map((r) => [r.type, r.data, r.ttl]), [['PTR', 'n1.node.dc1.consul', 0]]);
    assert.deepEqual(data(answerDns('9.9.9.10.in-addr.arpa', 'PTR', ctx).answers), ['web.service.dc1.consul']);
    assert.deepEqual(data(answerDns('6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa', 'PTR', ctx).answers), ['n6.node.dc1.consul']);
    const none = answerDns('1.2.3.4.in-addr.arpa', 'PTR', ctx);
    assert.equal(none.rcode, 'NXDOMAIN');
    assert.equal(none.authorities[0]?.type, 'SOA');
    assert.equal(answerDns('192.0.2.1'.split('.').reverse().join('.') + '.in-addr.arpa', 'PTR', ctx).rcode, 'NXDOMAIN', 'no peered data in PTR');
  });

  it('refuses names outside the domain and what the token may not read', () => {
    assert.equal(answerDns('example.com', 'A', ctx).rcode, 'REFUSED');
    assert.equal(answerDns('web.service.consul', 'A', { ...ctx, canReadService: () => false }).rcode, 'REFUSED');
    assert.equal(answerDns('consul', 'AXFR', ctx).rcode, 'NOTIMP');
    assert.deepEqual(data(answerDns('web.service.isthmus', 'SRV', ctx).answers)[0], { priority: 1, weight: 5, port: 80, target: 'n1.node.dc1.isthmus' });
  });
});
