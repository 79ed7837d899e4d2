// A DNS response encoder with name compression (RFC 1035 §4.1.4), as Consul's server sends: owner
// names and the names inside NS, CNAME, PTR and SOA data point back to earlier occurrences. SRV
// targets are written in full (RFC 2782) but later names may point to them. Pure.
import type dnsPacket from 'dns-packet';

const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41 };
const QTYPES: Record<string, number> = { ...TYPES, ANY: 255, AXFR: 252, IXFR: 251, MX: 15, CAA: 257 };

class Writer {
  buf = Buffer.alloc(1024);
  len = 0;
  readonly #names = new Map<string, number>();

  #grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): void {
    this.#grow(1);
    this.buf.writeUInt8(v & 0xff, this.len);
    this.len += 1;
  }

  u16(v: number): void {
    this.#grow(2);
    this.buf.writeUInt16BE(v & 0xffff, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.#grow(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }

  bytes(b: Buffer | Uint8Array | number[]): void {
    this.#grow(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.len + i] = b[i] as number;
    this.len += b.length;
  }

  /** Writes a name; with `compress`, ends it with a pointer to an earlier suffix when there is one. */
  name(n: string, compress: boolean): void {
    const s = n.endsWith('.') ? n.slice(0, -1) : n;
    const lower = s.toLowerCase();
    let pos = 0;
    while (pos < s.length) {
      let dot = s.indexOf('.', pos);
      if (dot < 0) dot = s.length;
      if (dot === pos) {
        pos++;
        continue;
      }
      const suffix = lower.slice(pos);
      const at = this.#names.get(suffix);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (at === undefined && this.len < 0x3fff) this.#names.set(suffix, this.len);
      const label = s.slice(pos, dot);
      const size = Buffer.byteLength(label);
      this.#grow(1 + size);
      this.buf[this.len++] = size;
      this.len += this.buf.write(label, this.len);
      pos = dot + 1;
    }
    this.u8(0);
  }
}

function ipv4(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv6(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function rdata(w: Writer, r: dnsPacket.Answer): void {
  const at = w.len;
  w.u16(0);
  const d = (r as { data?: unknown }).data;
  switch (r.type) {
    case 'A':
      w.bytes(ipv4(d as string));
      break;
    case 'AAAA':
      w.bytes(ipv6(d as string));
      break;
    case 'NS':
    case 'CNAME':
    case 'PTR':
      w.name(d as string, true);
      break;
    case 'SOA': {
      const s = d as dnsPacket.SoaData;
      w.name(s.mname, true);
      w.name(s.rname, true);
      for (const v of [s.serial ?? 0, s.refresh ?? 0, s.retry ?? 0, s.expire ?? 0, s.minimum ?? 0]) w.u32(v);
      break;
    }
    case 'SRV': {
      const s = d as dnsPacket.SrvData;
      w.u16(s.priority ?? 0);
      w.u16(s.weight ?? 0);
      w.u16(s.port);
      w.name(s.target, false);
      break;
    }
    case 'TXT':
      for (const t of Array.isArray(d) ? d : [d]) {
        const b = Buffer.from(String(t), 'utf8');
        for (let i = 0; i < b.length || i === 0; i += 255) {
          const chunk = b.subarray(i, i + 255);
          w.u8(chunk.length);
          w.bytes(chunk);
          if (b.length === 0) break;
        }
      }
      break;
    case 'OPT':
      for (const o of (r as dnsPacket.OptAnswer).options ?? []) {
        if (o.code !== 8) continue;
        const ecs = o as { family?: number; sourcePrefixLength?: number; scopePrefixLength?: number; ip?: string };
        const family = ecs.family ?? (ecs.ip?.includes(':') ? 2 : 1);
        const src = ecs.sourcePrefixLength ?? 0;
        const addr = Buffer.from(family === 2 ? ipv6(ecs.ip ?? '::') : ipv4(ecs.ip ?? '0.0.0.0')).subarray(0, Math.ceil(src / 8));
        w.u16(8);
        w.u16(4 + addr.length);
        w.u16(family);
        w.u8(src);
        w.u8(ecs.scopePrefixLength ?? 0);
        w.bytes(addr);
      }
      break;
    default:
      throw new Error(`cannot encode a ${r.type} record`);
  }
  w.buf.writeUInt16BE(w.len - at - 2, at);
}

function record(w: Writer, r: dnsPacket.Answer): void {
  if (r.type === 'OPT') {
    const o = r as dnsPacket.OptAnswer;
    w.u8(0);
    w.u16(TYPES.OPT as number);
    w.u16(o.udpPayloadSize ?? 4096);
    w.u8(o.extendedRcode ?? 0);
    w.u8(o.ednsVersion ?? 0);
    w.u16(o.flags ?? 0);
  } else {
    w.name(r.name, true);
    w.u16(TYPES[r.type] as number);
    w.u16(1);
    w.u32((r as { ttl?: number }).ttl ?? 0);
  }
  rdata(w, r);
}

/** Encodes a response this server builds (the record types in TYPES) with name compression; throws for others. */
export function encodeCompressed(p: dnsPacket.Packet): Buffer {
  const w = new Writer();
  w.u16(p.id ?? 0);
  w.u16(p.flags ?? 0);
  const sections = [p.questions ?? [], p.answers ?? [], p.authorities ?? [], p.additionals ?? []];
  for (const s of sections) w.u16(s.length);
  for (const q of p.questions ?? []) {
    const qtype = QTYPES[q.type];
    if (qtype === undefined) throw new Error(`cannot encode a ${q.type} question`);
    w.name(q.name, true);
    w.u16(qtype);
    w.u16(1);
  }
  for (const s of sections.slice(1)) for (const r of s as dnsPacket.Answer[]) record(w, r);
  return Buffer.from(w.buf.subarray(0, w.len));
}
