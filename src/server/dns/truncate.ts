// Response size limits of Consul's DNS server (consul-tools.md §2.4), pure over dns-packet packets:
// UDP answers are cut to `udp_answer_limit` at 512 bytes and trimmed to the 512-byte or EDNS buffer
// (AUTHORITY first, then answers, ADDITIONAL rebuilt for the SRV targets left); TCP is capped at
// 4096 answers (1024 SRV) and 65523 bytes. One answer is always kept.
import dnsPacket from 'dns-packet';

export const DEFAULT_UDP_SIZE = 512;
export const MAX_EDNS_UDP_SIZE = 65467;
/** Consul's hard ceiling on `udp_answer_limit`. */
export const MAX_UDP_ANSWER_LIMIT = 8;
export const MAX_TCP_SIZE = 65523;
const MAX_TCP_ANSWERS = 4096;
const MAX_TCP_SRV_ANSWERS = 1024;

export interface TrimOptions {
  transport: 'udp' | 'tcp';
  /** The UDP payload size the client advertised in its OPT record, if it sent one. */
  ednsSize?: number;
  /** `dns_config.udp_answer_limit` (default 3). */
  udpAnswerLimit: number;
}

const HEADER_BYTES = 12;
const recordBytes = new WeakMap<object, number>();

/** Encoded size of one record, computed once (dns-packet writes names uncompressed, so sizes add up). */
function sizeOf(r: dnsPacket.Answer): number {
  let n = recordBytes.get(r);
  if (n === undefined) {
    n = dnsPacket.encodingLength({ answers: [r] }) - HEADER_BYTES;
    recordBytes.set(r, n);
  }
  return n;
}

function length(p: dnsPacket.Packet): number {
  let n = dnsPacket.encodingLength({ questions: p.questions ?? [] });
  for (const list of [p.answers, p.authorities, p.additionals]) for (const r of list ?? []) n += sizeOf(r);
  return n;
}

/** ADDITIONAL holding only the address records of the SRV targets still answered (plus any OPT). */
function syncExtra(p: dnsPacket.Packet, extra: dnsPacket.Answer[]): dnsPacket.Answer[] {
  const targets = new Set((p.answers ?? []).filter((a) => a.type === 'SRV').map((a) => String((a.data as { target: string }).target).toLowerCase()));
  return extra.filter((r) => r.type === 'OPT' || ((r.type === 'A' || r.type === 'AAAA' || r.type === 'CNAME') && targets.has(r.name.toLowerCase())));
}

/** The limit a UDP answer must fit in: 512 bytes, or the EDNS size when larger (capped). */
export function udpLimit(ednsSize: number | undefined): number {
  return ednsSize !== undefined && ednsSize > DEFAULT_UDP_SIZE ? Math.min(ednsSize, MAX_EDNS_UDP_SIZE) : DEFAULT_UDP_SIZE;
}

/** Trims a response in place to what the transport allows; true when answers were removed. */
export function trimResponse(p: dnsPacket.Packet, o: TrimOptions): boolean {
  const answers = p.answers ?? [];
  const original = answers.length;
  const extra = p.additionals ?? [];
  let cut = false;
  const setAnswers = (n: number): void => {
    p.answers = answers.slice(0, n);
    p.additionals = syncExtra(p, extra);
    cut = true;
  };
  const maxSize = o.transport === 'tcp' ? MAX_TCP_SIZE : udpLimit(o.ednsSize);
  if (o.transport === 'udp') {
    const maxAnswers = Math.max(1, Math.min(MAX_UDP_ANSWER_LIMIT, o.udpAnswerLimit));
    if (maxSize === DEFAULT_UDP_SIZE && answers.length > maxAnswers) setAnswers(maxAnswers);
  } else {
    const cap = answers.some((a) => a.type === 'SRV') ? MAX_TCP_SRV_ANSWERS : MAX_TCP_ANSWERS;
    if (answers.length > cap) setAnswers(cap);
  }
  while ((p.answers ?? []).length > 1 && length(p) > maxSize) {
    if ((p.authorities ?? []).length > 0) {
      p.authorities = [];
      continue;
    }
    const n = (p.answers ?? []).length;
    if (length(p) - maxSize > 100) {
      // Far over: binary-search the largest answer count that fits.
      let lo = 1;
      let hi = n - 1;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        setAnswers(mid);
        if (length(p) <= maxSize) lo = mid;
        else hi = mid - 1;
      }
      setAnswers(lo);
    } else {
      setAnswers(n - 1);
    }
  }
  return cut || (p.answers ?? []).length < original;
}
