// The DNS interface of a real `isthmus agent`, asked with Debian's `dig` as resolvers and admins do.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { dig, digAvailable } from '../support/dig.js';

const SKIP = digAvailable() ? false : 'dig (dnsutils) is not installed';
let agent: AgentProcess;
let dir: { path: string; remove(): void };

async function put(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${agent.httpAddr}${path}`, { method: 'PUT', body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.text());
}

before(async () => {
  if (SKIP) return;
  dir = tempDir('dig');
  const config = join(dir.path, 'agent.json');
  writeFileSync(config, JSON.stringify({ dns_config: { enable_truncate: true, soa: { min_ttl: 30 }, node_ttl: '5s', service_ttl: { 'mini*': '15s' } }, alt_domain: 'isthmus' }));
  agent = await startAgent(['--dev', '--node', 'srv-a', '--config-file', config]);
  for (let i = 0; i < 40; i++) {
    const node = `a-rather-long-node-name-for-padding-${String(i).padStart(2, '0')}`;
    await put('/v1/catalog/register', { Node: node, Address: `10.2.0.${i + 1}`, NodeMeta: { rack: `r${i}` }, Service: { ID: `api-${i}`, Service: 'api', Port: 9000 + i } });
  }
  for (let i = 0; i < 5; i++) await put('/v1/catalog/register', { Node: `m${i}`, Address: `10.4.0.${i + 1}`, Service: { ID: `mini-${i}`, Service: 'mini', Port: 7000 + i } });
  await put('/v1/catalog/register', { Node: 'meta-node', Address: '10.3.0.1', NodeMeta: { rack: 'r1', 'rfc1035-spf': 'v=spf1 -all' }, Service: { ID: 'web-1', Service: 'web', Address: '10.3.0.99', Port: 80 } });
  await put('/v1/catalog/register', { Node: 'v6-node', Address: '2001:db8::7', Service: { ID: 'db-1', Service: 'db', Port: 5432 } });
});
after(async () => {
  if (SKIP) return;
  await agent.stop();
  dir.remove();
});

describe('dig against isthmus', { skip: SKIP }, () => {
  it('bounds a UDP answer without EDNS to 3 records within 512 bytes and sets TC (enable_truncate)', () => {
    const mini = dig(agent.dnsPort, 'mini.service.consul', 'SRV', ['+noedns']);
    assert.equal(mini.answer.length, 3, mini.raw);
    assert.ok(mini.flags.includes('tc'), mini.raw);
    assert.equal(dig(agent.dnsPort, 'mini.service.consul', 'A', ['+noedns']).answer.length, 3);
    assert.equal(dig(agent.dnsPort, 'mini.service.consul', 'A', ['+tcp']).answer.length, 5);
    // Long target names: fewer than 3 fit in 512 bytes (sizes are measured uncompressed, as Consul does).
    const r = dig(agent.dnsPort, 'api.service.consul', 'SRV', ['+noedns']);
    assert.equal(r.status, 'NOERROR');
    assert.ok(r.answer.length >= 1 && r.answer.length <= 3, r.raw);
    assert.ok(r.size <= 512, `${r.size} bytes`);
    assert.ok(r.flags.includes('tc'), r.raw);
    assert.ok(r.flags.includes('aa'));
    assert.equal(r.ednsUdp, undefined, 'no OPT back to a query without one');
    const targets = r.answer.map((a) => a.data.split(/\s+/)[3]);
    assert.deepEqual(r.additional.map((a) => a.name).sort(), [...targets].sort(), 'ADDITIONAL holds the remaining targets');
  });

  it('fills the EDNS buffer without passing it and echoes OPT', () => {
    const r = dig(agent.dnsPort, 'api.service.consul', 'SRV', ['+bufsize=4096']);
    assert.ok(r.size <= 4096, `${r.size} bytes`);
    assert.ok(r.answer.length > 3 && r.answer.length < 40, `${r.answer.length} answers`);
    assert.equal(r.ednsUdp, 4096);
    assert.ok(r.flags.includes('tc'));
  });

  it('answers every instance over TCP', () => {
    const r = dig(agent.dnsPort, 'api.service.consul', 'SRV', ['+tcp']);
    assert.equal(r.answer.length, 40);
    assert.ok(r.size > 4096);
    assert.ok(!r.flags.includes('tc'));
    const first = r.answer[0] as { data: string };
    assert.match(first.data, /^1 1 90\d\d a-rather-long-node-name-for-padding-\d\d\.node\.dc1\.consul\.$/);
  });

  it('puts the SOA (Consul fields, configured min_ttl) in AUTHORITY of NXDOMAIN and no-data answers', () => {
    const nx = dig(agent.dnsPort, 'nope.service.consul', 'A');
    assert.equal(nx.status, 'NXDOMAIN');
    assert.equal(nx.authority.length, 1);
    const soa = nx.authority[0] as { name: string; ttl: number; type: string; data: string };
    assert.deepEqual([soa.name, soa.ttl, soa.type], ['consul.', 30, 'SOA']);
    assert.match(soa.data, /^ns\.consul\. hostmaster\.consul\. \d+ 3600 600 86400 30$/);
    const serial = Number(soa.data.split(' ')[2]);
    assert.ok(Math.abs(serial - Date.now() / 1000) < 120, 'the serial is the current Unix time');
    const nodata = dig(agent.dnsPort, 'api.service.consul', 'AAAA');
    assert.equal(nodata.status, 'NOERROR');
    assert.equal(nodata.answer.length, 0);
    assert.equal(nodata.authority[0]?.type, 'SOA');
    assert.equal(dig(agent.dnsPort, 'no-such-node.node.consul', 'A').authority[0]?.type, 'SOA');
  });

  it('answers consul. SOA and NS with the server, and consul.service.consul finds it', () => {
    const soa = dig(agent.dnsPort, 'consul.', 'SOA');
    assert.equal(soa.status, 'NOERROR');
    assert.equal(soa.answer[0]?.type, 'SOA');
    assert.deepEqual(soa.authority.map((r) => [r.type, r.data]), [['NS', 'srv-a.node.dc1.consul.']]);
    assert.deepEqual(soa.additional.map((r) => [r.name, r.type, r.data]), [['srv-a.node.dc1.consul.', 'A', '127.0.0.1']]);
    const ns = dig(agent.dnsPort, 'consul.', 'NS');
    assert.deepEqual(ns.answer.map((r) => [r.name, r.type, r.data]), [['consul.', 'NS', 'srv-a.node.dc1.consul.']]);
    const srv = dig(agent.dnsPort, 'consul.service.consul', 'SRV');
    assert.deepEqual(srv.answer.map((r) => r.data), ['1 1 8300 srv-a.node.dc1.consul.']);
    assert.deepEqual(dig(agent.dnsPort, 'consul.service.consul', 'A').answer.map((r) => r.data), ['127.0.0.1']);
  });

  it('answers PTR for node and service addresses (dig -x)', () => {
    assert.deepEqual(dig(agent.dnsPort, '-x', '10.3.0.1').answer.map((r) => [r.type, r.data]), [['PTR', 'meta-node.node.dc1.consul.']]);
    assert.deepEqual(dig(agent.dnsPort, '-x', '10.3.0.99').answer.map((r) => r.data), ['web.service.dc1.consul.']);
    assert.deepEqual(dig(agent.dnsPort, '-x', '2001:db8::7').answer.map((r) => r.data), ['v6-node.node.dc1.consul.']);
    const none = dig(agent.dnsPort, '-x', '10.250.0.1');
    assert.equal(none.status, 'NXDOMAIN');
    assert.equal(none.authority[0]?.type, 'SOA');
  });

  it('answers <hex>.addr names, SRV addr targets for service addresses, and AAAA nodes', () => {
    assert.deepEqual(dig(agent.dnsPort, '0a030063.addr.dc1.consul', 'A').answer.map((r) => r.data), ['10.3.0.99']);
    assert.deepEqual(dig(agent.dnsPort, '20010db8000000000000000000000007.addr.consul', 'AAAA').answer.map((r) => r.data), ['2001:db8::7']);
    assert.equal(dig(agent.dnsPort, 'abc.addr.consul', 'A').status, 'NXDOMAIN');
    const web = dig(agent.dnsPort, 'web.service.consul', 'SRV');
    assert.deepEqual(web.answer.map((r) => r.data), ['1 1 80 0a030063.addr.dc1.consul.']);
    assert.deepEqual(web.additional.map((r) => [r.name, r.data]), [['0a030063.addr.dc1.consul.', '10.3.0.99']]);
    assert.deepEqual(dig(agent.dnsPort, 'v6-node.node.consul', 'AAAA').answer.map((r) => r.data), ['2001:db8::7']);
    assert.deepEqual(dig(agent.dnsPort, 'db.service.consul', 'AAAA').answer.map((r) => r.data), ['2001:db8::7']);
  });

  it('uses service_ttl for matching services and node_ttl for nodes and other services', () => {
    assert.deepEqual([...new Set(dig(agent.dnsPort, 'mini.service.consul', 'SRV', ['+tcp']).answer.map((r) => r.ttl))], [15]);
    assert.deepEqual(dig(agent.dnsPort, 'web.service.consul', 'A').answer.map((r) => r.ttl), [5]);
    assert.deepEqual(dig(agent.dnsPort, 'meta-node.node.consul', 'A').answer.map((r) => r.ttl), [5]);
  });

  it('serves node meta as TXT, in ANSWER for TXT questions and in ADDITIONAL of SRV answers', () => {
    const txt = dig(agent.dnsPort, 'meta-node.node.consul', 'TXT');
    assert.deepEqual(txt.answer.map((r) => r.data).sort(), ['"rack=r1"', '"v=spf1 -all"']);
    const a = dig(agent.dnsPort, 'meta-node.node.consul', 'A');
    assert.deepEqual(a.answer.map((r) => r.data), ['10.3.0.1']);
    assert.ok(a.additional.some((r) => r.type === 'TXT' && r.data === '"rack=r1"'));
    const srv = dig(agent.dnsPort, 'api.service.consul', 'SRV', ['+tcp']);
    assert.equal(srv.additional.filter((r) => r.type === 'TXT').length, 40);
  });

  it('serves the alt domain with its own name, and refuses names outside both', () => {
    const r = dig(agent.dnsPort, 'consul.service.isthmus', 'SRV');
    assert.deepEqual(r.answer.map((x) => [x.name, x.data]), [['consul.service.isthmus.', '1 1 8300 srv-a.node.dc1.isthmus.']]);
    assert.equal(dig(agent.dnsPort, 'example.com', 'A').status, 'REFUSED');
  });
});
