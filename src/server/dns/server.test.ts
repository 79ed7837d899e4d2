// Size limits, truncation and EDNS of DNS responses (consul-tools.md §2.4), through DnsServer.respond.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { IndexHub } from '../../lib/index-hub.js';
import { SILENT_LOGGER } from '../../lib/log.js';
import { MemoryStore } from '../../store/memory/memory-store.js';
import { CatalogService } from '../catalog/service.js';
import type { DnsContext } from './answer.js';
import { DnsServer, type DnsTransportOptions } from './server.js';

let ctx: DnsContext;
before(async () => {
  const c = new CatalogService({ store: new MemoryStore(), hub: new IndexHub(), log: SILENT_LOGGER });
  for (let i = 0; i < 40; i++) {
    const n = `node-with-a-long-name-${String(i).padStart(2, '0')}`;
    await c.register({
      nodeName: n,
      node: { ID: '', Node: n, Address: `10.1.0.${i + 1}`, Datacenter: 'dc1', TaggedAddresses: {}, Meta: { rack: `r${i}` }, PeerName: '' },
      service: { Node: n, Kind: '', ID: `api-${i}`, Service: 'api', Tags: [], Address: '', TaggedAddresses: {}, Meta: {}, Port: 8000 + i, SocketPath: '', Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false, PeerName: '' },
      checks: [],
    });
  }
  ctx = { reader: c.reader, domain: 'consul', datacenter: 'dc1', canReadService: () => true, canReadNode: () => true };
});

function ask(name: string, type: 'A' | 'SRV', opts: DnsTransportOptions & { edns?: number; transport?: 'udp' | 'tcp' } = {}): { packet: dnsPacket.Packet; bytes: number } {
  const server = new DnsServer({ context: () => ctx, log: SILENT_LOGGER }, opts);
  const query: dnsPacket.Packet = { type: 'query', id: 9, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] };
  if (opts.edns !== undefined) {
    query.additionals = [{ name: '.', type: 'OPT', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as dnsPacket.OptAnswer];
  }
  const res = server.respond(dnsPacket.encode(query), opts.transport ?? 'udp');
  return { packet: dnsPacket.decode(res), bytes: res.length };
}
const rcodeOf = (p: dnsPacket.Packet): string => (p as { rcode?: string }).rcode ?? '';
const truncated = (p: dnsPacket.Packet): boolean => ((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0;

describe('DNS response size', () => {
  it('cuts a UDP answer without EDNS to udp_answer_limit (3) within 512 bytes, silently by default', () => {
    const { packet, bytes } = ask('api.service.consul', 'SRV');
    assert.equal(packet.answers?.length, 3);
    assert.ok(bytes <= 512, `${bytes} bytes`);
    assert.equal(truncated(packet), false, 'no TC bit without enable_truncate');
    const targets = new Set(packet.answers?.map((a) => ((a as { data: { target: string } }).data).target));
    assert.ok(packet.additionals?.every((r) => targets.has(r.name)), 'ADDITIONAL keeps only the remaining targets');
    assert.equal(packet.additionals?.length, 3, 'only address records (node-meta TXT extras dropped)');
  });

  it('sets TC with enable_truncate, honours a smaller or larger udp_answer_limit (at most 8)', () => {
    assert.equal(truncated(ask('api.service.consul', 'SRV', { enableTruncate: true }).packet), true);
    assert.equal(ask('api.service.consul', 'A', { udpAnswerLimit: 1 }).packet.answers?.length, 1);
    const eight = ask('api.service.consul', 'A', { udpAnswerLimit: 50 });
    assert.equal(eight.packet.answers?.length, 8);
    assert.ok(eight.bytes <= 512);
    assert.equal(truncated(ask('node-with-a-long-name-01.node.consul', 'A', { enableTruncate: true }).packet), false, 'nothing cut, no TC');
  });

  it('fills an EDNS buffer without exceeding it and echoes OPT with the client size', () => {
    for (const size of [1232, 4096]) {
      const { packet, bytes } = ask('api.service.consul', 'SRV', { edns: size, enableTruncate: true });
      assert.ok(bytes <= size, `${bytes} > ${size}`);
      const n = packet.answers?.length ?? 0;
      assert.ok(n > 3 && n < 40, `${n} answers in ${size} bytes`);
      assert.equal(truncated(packet), true);
      const opt = packet.additionals?.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
      assert.equal(opt?.udpPayloadSize, size);
    }
    const all = ask('api.service.consul', 'A', { edns: 4096 });
    assert.equal(all.packet.answers?.length, 40, 'A records for 40 instances fit in 4096 bytes');
  });

  it('answers TCP in full', () => {
    const { packet, bytes } = ask('api.service.consul', 'SRV', { transport: 'tcp', enableTruncate: true });
    assert.equal(packet.answers?.length, 40);
    assert.ok(bytes > 4096);
    assert.equal(truncated(packet), false);
    assert.equal(packet.additionals?.filter((r) => r.type === 'TXT').length, 40, 'node-meta TXT kept when nothing is cut');
  });

  it('answers FORMERR to garbage and keeps the SOA on NXDOMAIN', () => {
    const server = new DnsServer({ context: () => ctx, log: SILENT_LOGGER });
    assert.equal(rcodeOf(dnsPacket.decode(server.respond(Buffer.from([1, 2, 3])))), 'FORMERR');
    const nx = ask('nope.service.consul', 'A').packet;
    assert.equal(rcodeOf(nx), 'NXDOMAIN');
    assert.equal(nx.authorities?.[0]?.type, 'SOA');
    assert.equal(((nx.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0, true);
  });
});
