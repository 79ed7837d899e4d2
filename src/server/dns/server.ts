// The DNS interface (UDP and TCP) over the catalog: answers come from answer.ts, size limits from
// truncate.ts; this file decodes, encodes, echoes EDNS and carries packets.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Logger } from '../../lib/log.js';
import { answerDns, type DnsRcode, type DnsRecord } from './answer.js';
import { trimResponse } from './truncate.js';

export interface DnsTransportOptions {
  /** `dns_config.udp_answer_limit` @default 3 */
  udpAnswerLimit?: number;
  /** `dns_config.enable_truncate`: set TC when a UDP answer was cut. @default false */
  enableTruncate?: boolean;
}

const RCODE: Record<DnsRcode, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
const FORMERR = 1;
import { answerVirtual, type VirtualDnsContext } from './virtual.js';

function toPacketAnswer(r: DnsRecord): dnsPacket.Answer {
  return { name: r.name, type: r.type, ttl: r.ttl, class: 'IN', data: r.data } as dnsPacket.Answer;
}

export class DnsServer {
  readonly #ctx: () => VirtualDnsContext;
  readonly #log: Logger;
  readonly #opts: Required<DnsTransportOptions>;
  #udp: dgram.Socket | undefined;
  #tcp: net.Server | undefined;

  constructor(deps: { context: () => VirtualDnsContext; log: Logger }, options: DnsTransportOptions = {}) {
    this.#ctx = deps.context;
    this.#log = deps.log;
    this.#opts = { udpAnswerLimit: options.udpAnswerLimit ?? 3, enableTruncate: options.enableTruncate ?? false };
  }

  /** Builds the response for one query packet (never throws: malformed input gets FORMERR). */
  respond(buf: Buffer, transport: 'udp' | 'tcp' = 'udp'): Buffer {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(buf);
    } catch {
      return dnsPacket.encode({ type: 'response', id: buf.length >= 2 ? buf.readUInt16BE(0) : 0, flags: FORMERR, questions: [] });
    }
    const q = query.questions?.[0];
    if (!q) return dnsPacket.encode({ type: 'response', id: query.id, flags: FORMERR, questions: [] });
    const opt = (query.additionals ?? []).find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
    let rcode: number;
    let answers: dnsPacket.Answer[] = [];
    let authorities: dnsPacket.Answer[] = [];
    let additionals: dnsPacket.Answer[] = [];
    try {
      const ctx = this.#ctx();
      const a = answerVirtual(q.name, q.type, ctx) ?? answerDns(q.name, q.type, ctx);
      rcode = RCODE[a.rcode];
      answers = a.answers.map(toPacketAnswer);
      authorities = a.authorities.map(toPacketAnswer);
      additionals = a.additionals.map(toPacketAnswer);
    } catch (err) {
      this.#log.error('DNS lookup failed', { name: q.name, type: q.type, error: (err as Error).message });
      rcode = RCODE.SERVFAIL;
    }
    if (opt) {
      // Echo EDNS with the client's own buffer size (and its client-subnet option), counted in the size.
      const ecs = (opt.options ?? []).filter((o) => o.code === 8);
      additionals.push({ name: '.', type: 'OPT', udpPayloadSize: opt.udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: ecs } as dnsPacket.OptAnswer);
    }
    const res: dnsPacket.Packet = { type: 'response', id: query.id, flags: 0, questions: [q], answers, authorities, additionals };
    const trimmed = trimResponse(res, { transport, udpAnswerLimit: this.#opts.udpAnswerLimit, ...(opt ? { ednsSize: opt.udpPayloadSize } : {}) });
    const tc = trimmed && transport === 'udp' && this.#opts.enableTruncate ? dnsPacket.TRUNCATED_RESPONSE : 0;
    res.flags = dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | tc | rcode;
    return dnsPacket.encode(res);
  }

  /** Binds UDP and TCP on the same port; with port 0, retries until both get the same free port. */
  async listen(host: string, port: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#listenOnce(host, port);
      } catch (err) {
        await this.close();
        if (port !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
  }

  async #listenOnce(host: string, port: number): Promise<number> {
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.#udp = udp;
    udp.on('message', (msg, rinfo) => udp.send(this.respond(msg, 'udp'), rinfo.port, rinfo.address));
    udp.on('error', (err) => this.#log.error('DNS UDP error', { error: err.message }));
    const bound = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => resolve(udp.address().port));
    });
    this.#tcp = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          const res = this.respond(buf.subarray(2, 2 + len), 'tcp');
          buf = buf.subarray(2 + len);
          const framed = Buffer.alloc(2 + res.length);
          framed.writeUInt16BE(res.length, 0);
          res.copy(framed, 2);
          s.write(framed);
        }
      });
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((resolve, reject) => this.#tcp!.once('error', reject).listen(bound, host, () => resolve()));
    return bound;
  }

  async close(): Promise<void> {
    try {
      this.#udp?.close();
    } catch {
      // already closed
    }
    this.#udp = undefined;
    const tcp = this.#tcp;
    this.#tcp = undefined;
    await new Promise<void>((r) => (tcp?.listening ? tcp.close(() => r()) : r()));
  }
}
