// DNS answers from the catalog (consul-tools.md §2, peering.md §9.2), pure: a question in, records
// out. Size limits and truncation are applied afterwards by truncate.ts (they depend on transport).
import { connectInstances } from '../catalog/connect.js';
import type { CatalogReader } from '../catalog/state.js';
import type { HealthEntry, NodeRecord, ServiceRecord } from '../catalog/types.js';
import { canonicalIp, hexToIp, ipFamily, ipToHex, isReverseName, parseDnsName, parsePtrName, type DnsQuery } from './names.js';

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type DnsRecord =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'PTR'; ttl: number; data: string }
  | { name: string; type: 'TXT'; ttl: number; data: string }
  | { name: string; type: 'SRV'; ttl: number; data: SrvData }
  | { name: string; type: 'SOA'; ttl: number; data: SoaData };

export type DnsRcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'NOTIMP' | 'SERVFAIL';

export interface DnsAnswer {
  rcode: DnsRcode;
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** dns_config knobs the answers depend on (seconds for TTLs and SOA timers). */
export interface DnsOptions {
  nodeTtl: number;
  /** service_ttl: exact names or `prefix*` → seconds; names matching none use nodeTtl. */
  serviceTtl: Record<string, number>;
  onlyPassing: boolean;
  aRecordLimit: number;
  enableAdditionalNodeMetaTxt: boolean;
  soa: { refresh: number; retry: number; expire: number; minTtl: number };
}

export const DEFAULT_DNS_OPTIONS: DnsOptions = {
  nodeTtl: 0,
  serviceTtl: {},
  onlyPassing: false,
  aRecordLimit: 0,
  enableAdditionalNodeMetaTxt: true,
  soa: { refresh: 3600, retry: 600, expire: 86400, minTtl: 0 },
};

export interface DnsContext {
  reader: CatalogReader;
  domain: string;
  /** `alt_domain`, also served; answers use the domain that was asked. */
  altDomain?: string;
  datacenter: string;
  /** May the querying identity read this (imported data follows peering.md §8)? */
  canReadService(name: string, peer: string): boolean;
  canReadNode(name: string): boolean;
  options?: Partial<DnsOptions>;
  /** Seconds since the epoch (the SOA serial). */
  now?: () => number;
  /** Shuffles service answers (Consul randomises their order). @default random */
  shuffle?: <T>(items: T[]) => T[];
}

type Qtype = string;

const fqdn = (s: string): string => s.replace(/\.$/, '');

function randomShuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** RFC 1464 `key=value` with backquote escaping in the key; `rfc1035-*` keys give the raw value. */
export function nodeMetaTxt(meta: Record<string, string>): string[] {
  return Object.keys(meta)
    .sort()
    .map((k) => {
      const v = meta[k] as string;
      if (k.startsWith('rfc1035-')) return v;
      let key = k.replace(/`/g, '``').replace(/=/g, '`=');
      key = key.replace(/^ +/, (m) => '` '.repeat(m.length)).replace(/ +$/, (m) => '` '.repeat(m.length));
      return `${key}=${v.replace(/`/g, '``')}`;
    });
}

class Answerer {
  readonly #ctx: DnsContext;
  readonly #o: DnsOptions;
  readonly #domain: string;
  readonly #shuffle: <T>(items: T[]) => T[];

  constructor(ctx: DnsContext, domain: string) {
    this.#ctx = ctx;
    this.#o = { ...DEFAULT_DNS_OPTIONS, ...ctx.options, soa: { ...DEFAULT_DNS_OPTIONS.soa, ...ctx.options?.soa } };
    this.#domain = domain;
    this.#shuffle = ctx.shuffle ?? randomShuffle;
  }

  soa(): DnsRecord {
    const d = this.#domain;
    const s = this.#o.soa;
    const serial = Math.floor(this.#ctx.now?.() ?? Date.now() / 1000) >>> 0;
    return { name: d, type: 'SOA', ttl: s.minTtl, data: { mname: `ns.${d}`, rname: `hostmaster.${d}`, serial, refresh: s.refresh, retry: s.retry, expire: s.expire, minimum: s.minTtl } };
  }

  /** Up to 3 random servers as NS records, with their addresses (glue). */
  nameservers(): { ns: DnsRecord[]; glue: DnsRecord[] } {
    const servers = this.#shuffle(this.#ctx.reader.healthService('', 'consul').filter((e) => this.#usable(e))).slice(0, 3);
    const ns: DnsRecord[] = [];
    const glue: DnsRecord[] = [];
    for (const e of servers) {
      const target = `${e.node.value.Node}.node.${this.#ctx.datacenter}.${this.#domain}`;
      ns.push({ name: this.#domain, type: 'NS', ttl: this.#o.nodeTtl, data: target });
      const a = addressRecord(target, e.node.value.Address, 'A', this.#o.nodeTtl) ?? addressRecord(target, e.node.value.Address, 'AAAA', this.#o.nodeTtl);
      if (a) glue.push(a);
    }
    return { ns, glue };
  }

  nx(): DnsAnswer {
    return { rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [] };
  }

  noData(): DnsAnswer {
    return { rcode: 'NOERROR', answers: [], authorities: [this.soa()], additionals: [] };
  }

  /** Answers; an empty answer gets the SOA in AUTHORITY (RFC 2308 negative caching). */
  found(answers: DnsRecord[], additionals: DnsRecord[] = []): DnsAnswer {
    return answers.length === 0 ? { ...this.noData(), additionals } : { rcode: 'NOERROR', answers, authorities: [], additionals };
  }

  answer(qname: string, qtype: Qtype, q: DnsQuery): DnsAnswer {
    if (qtype === 'SOA') {
      const { ns, glue } = this.nameservers();
      return { rcode: 'NOERROR', answers: [this.soa()], authorities: ns, additionals: glue };
    }
    if (qtype === 'NS') {
      const { ns, glue } = this.nameservers();
      return { rcode: 'NOERROR', answers: ns, authorities: ns.length ? [] : [this.soa()], additionals: glue };
    }
    switch (q.kind) {
      case 'service':
        return this.service(qname, qtype, q.service, q.tag, q.peer ?? '', q.dc, false);
      case 'connect':
        return this.service(qname, qtype, q.service, undefined, '', q.dc, true);
      case 'node':
        return this.node(qname, qtype, q.node, q.peer ?? '', q.dc);
      case 'addr':
        return this.addr(qname, qtype, q.hex);
      default:
        // Ingress gateways, virtual IPs and prepared queries do not exist here: nothing by that name.
        return this.nx();
    }
  }

  #usable(e: HealthEntry): boolean {
    return e.checks.every((c) => c.value.Status === 'passing' || (!this.#o.onlyPassing && c.value.Status === 'warning'));
  }

  #remoteDc(dc: string | undefined, peer: string): boolean {
    return !peer && dc !== undefined && dc !== this.#ctx.datacenter;
  }

  node(qname: string, qtype: Qtype, name: string, peer: string, dc: string | undefined): DnsAnswer {
    if (this.#remoteDc(dc, peer)) return this.nx();
    if (!this.#ctx.canReadNode(name)) return { rcode: 'REFUSED', answers: [], authorities: [], additionals: [] };
    const n = findNode(this.#ctx.reader, peer, name);
    if (!n) return this.nx();
    const ttl = this.#o.nodeTtl;
    if (!['A', 'AAAA', 'ANY', 'TXT'].includes(qtype)) return this.noData();
    const answers: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    if (qtype !== 'TXT') answers.push(...addressRecords(qname, n.Address, qtype, ttl));
    const txt = nodeMetaTxt(n.Meta).map((t): DnsRecord => ({ name: qname, type: 'TXT', ttl, data: t }));
    if (qtype === 'TXT' || qtype === 'ANY') answers.push(...txt);
    else if (answers.length > 0 && this.#o.enableAdditionalNodeMetaTxt) additionals.push(...txt);
    return this.found(answers, additionals);
  }

  addr(qname: string, qtype: Qtype, hex: string): DnsAnswer {
    const ip = hexToIp(hex);
    if (!ip) return this.nx();
    return this.found(addressRecords(qname, ip.ip, qtype, this.#o.nodeTtl));
  }

  service(qname: string, qtype: Qtype, name: string, tag: string | undefined, peer: string, dc: string | undefined, connect: boolean): DnsAnswer {
    if (this.#remoteDc(dc, peer)) return this.nx();
    if (!this.#ctx.canReadService(name, peer)) return { rcode: 'REFUSED', answers: [], authorities: [], additionals: [] };
    const reader = this.#ctx.reader;
    let entries: HealthEntry[];
    name = serviceNamed(reader, peer, name);
    if (connect) {
      const ids = new Set(connectInstances(reader, peer, name).map((i) => `${i.node.value.Node}/${i.service.value.ID}`));
      entries = [...reader.healthService(peer, `${name}-sidecar-proxy`), ...reader.healthService(peer, name)].filter((e) => ids.has(`${e.node.value.Node}/${e.service.value.ID}`));
    } else {
      // DNS names are case-insensitive, tags included.
      const want = tag?.toLowerCase();
      entries = reader.healthService(peer, name).filter((e) => want === undefined || e.service.value.Tags.some((t) => t.toLowerCase() === want));
    }
    const seen = new Set<string>();
    const usable = this.#shuffle(entries.filter((e) => this.#usable(e))).filter((e) => {
      const key = `${e.node.value.Node}/${e.service.value.ID}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    if (usable.length === 0) return this.nx();
    const ttl = serviceTtl(this.#o, name);
    const answers: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    if (qtype === 'SRV') {
      for (const e of usable) this.#srv(qname, e, peer, ttl, answers, additionals);
      return this.found(answers, dedupe(additionals));
    }
    if (qtype !== 'A' && qtype !== 'AAAA' && qtype !== 'ANY') return this.noData();
    for (const e of usable) answers.push(...addressRecords(qname, e.service.value.Address || e.node.value.Address, qtype, ttl));
    const unique = dedupe(answers);
    const limited = this.#o.aRecordLimit > 0 ? unique.slice(0, this.#o.aRecordLimit) : unique;
    return this.found(limited);
  }

  #srv(qname: string, e: HealthEntry, peer: string, ttl: number, answers: DnsRecord[], additionals: DnsRecord[]): void {
    const svc: ServiceRecord = e.service.value;
    const node: NodeRecord = e.node.value;
    const warning = e.checks.some((c) => c.value.Status === 'warning');
    const weight = warning ? svc.Weights.Warning : svc.Weights.Passing;
    const where = peer ? `${peer}.peer` : this.#ctx.datacenter;
    let target: string;
    const svcAddr = svc.Address;
    if (svcAddr && ipFamily(svcAddr) && canonicalIp(svcAddr) !== canonicalIp(node.Address)) {
      target = peer ? `${ipToHex(svcAddr)}.addr.${this.#domain}` : `${ipToHex(svcAddr)}.addr.${where}.${this.#domain}`;
      additionals.push(...addressRecords(target, svcAddr, 'ANY', ttl));
    } else if (svcAddr && !ipFamily(svcAddr)) {
      target = fqdn(svcAddr);
    } else {
      target = `${node.Node}.node.${where}.${this.#domain}`;
      additionals.push(...addressRecords(target, node.Address, 'ANY', ttl));
      if (this.#o.enableAdditionalNodeMetaTxt) additionals.push(...nodeMetaTxt(node.Meta).map((t): DnsRecord => ({ name: target, type: 'TXT', ttl, data: t })));
    }
    answers.push({ name: qname, type: 'SRV', ttl, data: { priority: 1, weight, port: svc.Port, target } });
  }

  ptr(qname: string, ip: string): DnsAnswer {
    const want = canonicalIp(ip);
    const reader = this.#ctx.reader;
    for (const n of reader.nodes('')) {
      if (canonicalIp(n.value.Address) === want && this.#ctx.canReadNode(n.value.Node)) {
        return this.found([{ name: qname, type: 'PTR', ttl: 0, data: `${n.value.Node}.node.${this.#ctx.datacenter}.${this.#domain}` }]);
      }
    }
    for (const name of reader.serviceNames('')) {
      if (!this.#ctx.canReadService(name, '')) continue;
      if (reader.serviceInstances('', name).some((i) => i.service.value.Address !== '' && canonicalIp(i.service.value.Address) === want)) {
        return this.found([{ name: qname, type: 'PTR', ttl: 0, data: `${name}.service.${this.#ctx.datacenter}.${this.#domain}` }]);
      }
    }
    return this.nx();
  }
}

/** A service's TTL: an exact service_ttl entry, else the longest matching `prefix*`, else node_ttl. */
export function serviceTtl(o: Pick<DnsOptions, 'nodeTtl' | 'serviceTtl'>, name: string): number {
  const exact = o.serviceTtl[name];
  if (exact !== undefined) return exact;
  let best: number | undefined;
  let bestLen = -1;
  for (const [k, v] of Object.entries(o.serviceTtl)) {
    if (!k.endsWith('*')) continue;
    const prefix = k.slice(0, -1);
    if (name.startsWith(prefix) && prefix.length > bestLen) {
      best = v;
      bestLen = prefix.length;
    }
  }
  return best ?? o.nodeTtl;
}

/** A node by name, matched case-insensitively as DNS names are. */
function findNode(reader: CatalogReader, ks: string, name: string): NodeRecord | undefined {
  const exact = reader.node(ks, name)?.value;
  if (exact) return exact;
  const lower = name.toLowerCase();
  return reader.nodes(ks).find((n) => n.value.Node.toLowerCase() === lower)?.value;
}

/** The catalog's spelling of a service name asked for in any case. */
function serviceNamed(reader: CatalogReader, ks: string, name: string): string {
  if (reader.serviceInstances(ks, name).length > 0) return name;
  const lower = name.toLowerCase();
  return reader.serviceNames(ks).find((n) => n.toLowerCase() === lower) ?? name;
}

/** A and/or AAAA (or a CNAME for a host name) for one address, as the question type asks. */
function addressRecords(name: string, address: string, qtype: Qtype, ttl: number): DnsRecord[] {
  const fam = ipFamily(address);
  if (!fam) return address && (qtype === 'A' || qtype === 'AAAA' || qtype === 'ANY') ? [{ name, type: 'CNAME', ttl, data: fqdn(address) }] : [];
  const r = addressRecord(name, address, fam === 4 ? 'A' : 'AAAA', ttl);
  return r && (qtype === 'ANY' || qtype === r.type) ? [r] : [];
}

function addressRecord(name: string, address: string, type: 'A' | 'AAAA', ttl: number): DnsRecord | undefined {
  const fam = ipFamily(address);
  if ((type === 'A' && fam !== 4) || (type === 'AAAA' && fam !== 6)) return undefined;
  return { name, type, ttl, data: canonicalIp(address) };
}

function dedupe(records: DnsRecord[]): DnsRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const k = `${r.name}|${r.type}|${typeof r.data === 'string' ? r.data : r.type === 'SRV' ? `${r.data.port} ${r.data.target}` : JSON.stringify(r.data)}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** A negative answer for a name in the domain, with the zone's SOA in AUTHORITY (for answers built elsewhere). */
export function negativeAnswer(ctx: DnsContext, kind: 'NXDOMAIN' | 'NODATA'): DnsAnswer {
  const a = new Answerer(ctx, fqdn(ctx.domain).toLowerCase());
  return kind === 'NXDOMAIN' ? a.nx() : a.noData();
}

/** Answers one question. Names outside the served domains (and not reverse names) are REFUSED. */
export function answerDns(qname: string, qtype: Qtype, ctx: DnsContext): DnsAnswer {
  const domains = [ctx.domain, ...(ctx.altDomain ? [ctx.altDomain] : [])];
  if (isReverseName(qname)) {
    const a = new Answerer(ctx, fqdn(ctx.domain).toLowerCase());
    const ip = parsePtrName(qname);
    if (!ip) return a.nx();
    if (qtype !== 'PTR' && qtype !== 'ANY') return a.noData();
    return a.ptr(qname, ip);
  }
  const parsed = parseDnsName(qname, domains);
  if (!parsed) return { rcode: 'REFUSED', answers: [], authorities: [], additionals: [] };
  if (qtype === 'AXFR' || qtype === 'IXFR') return { rcode: 'NOTIMP', answers: [], authorities: [], additionals: [] };
  const a = new Answerer(ctx, parsed.domain);
  // The apex holds only SOA and NS: other types there are no-data, not a missing name.
  if (parsed.query.kind === 'apex' && qtype !== 'SOA' && qtype !== 'NS') return a.noData();
  return a.answer(qname, qtype, parsed.query);
}
