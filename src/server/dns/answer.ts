// DNS answers from the catalog (spec §9.2), pure: a question in, records out.
// Names: <node>.node[.<dc>].<domain>; [<tag>.]<svc>.service[.<dc>[.dc]][.<peer>.peer].<domain>;
// RFC 2782 _<svc>._<tag>[.service][.<dc>.dc][.<peer>.peer].<domain>.
import type { CatalogReader } from '../catalog/state.js';
import type { HealthEntry } from '../catalog/types.js';

export interface DnsRecord {
  name: string;
  type: 'A' | 'AAAA' | 'SRV' | 'TXT';
  ttl: number;
  data: string | { priority: number; weight: number; port: number; target: string };
}

export interface DnsAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  answers: DnsRecord[];
  additionals: DnsRecord[];
}

export interface DnsContext {
  reader: CatalogReader;
  domain: string;
  datacenter: string;
  /** May the querying identity read this (imported data follows spec §8)? */
  canReadService(name: string, peer: string): boolean;
  canReadNode(name: string): boolean;
}

type Query = { kind: 'node'; node: string } | { kind: 'service'; service: string; tag?: string; peer: string; dc?: string; rfc2782: boolean };

/** Splits a question name into what it asks for; undefined when it is not ours or malformed. */
export function parseDnsName(qname: string, domain: string): Query | undefined {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const suffix = `.${domain.toLowerCase()}`;
  if (!name.endsWith(suffix)) return undefined;
  let labels = name.slice(0, -suffix.length).split('.');
  let peer = '';
  let dc: string | undefined;
  const pi = labels.lastIndexOf('peer');
  if (pi > 0 && pi === labels.length - 1) {
    peer = labels[pi - 1] as string;
    labels = labels.slice(0, pi - 1);
  }
  if (labels[labels.length - 1] === 'dc' && labels.length >= 2) {
    dc = labels[labels.length - 2];
    labels = labels.slice(0, -2);
  }
  if (labels[0]?.startsWith('_') && labels[1]?.startsWith('_')) {
    const service = (labels[0] as string).slice(1);
    const tag = (labels[1] as string).slice(1);
    return { kind: 'service', service, ...(tag && tag !== 'tcp' ? { tag } : {}), peer, ...(dc ? { dc } : {}), rfc2782: true };
  }
  const si = labels.indexOf('service');
  if (si >= 1) {
    const after = labels.slice(si + 1);
    if (after.length > 1) return undefined;
    const implicitDc = after[0];
    const before = labels.slice(0, si);
    const service = before[before.length - 1] as string;
    const tag = before.length === 2 ? before[0] : undefined;
    if (before.length > 2) return undefined;
    return { kind: 'service', service, ...(tag ? { tag } : {}), peer, ...(dc ?? implicitDc ? { dc: (dc ?? implicitDc) as string } : {}), rfc2782: false };
  }
  const ni = labels.indexOf('node');
  if (ni === 1 && labels.length <= 3 && !peer) return { kind: 'node', node: labels[0] as string };
  return undefined;
}

const TTL = 0;

function healthy(e: HealthEntry): boolean {
  return e.checks.every((c) => c.value.Status !== 'critical');
}

export function answerDns(qname: string, qtype: string, ctx: DnsContext): DnsAnswer {
  const q = parseDnsName(qname, ctx.domain);
  const none: DnsAnswer = { rcode: 'NXDOMAIN', answers: [], additionals: [] };
  if (!q) return none;
  if (q.kind === 'node') {
    if (!ctx.canReadNode(q.node)) return { ...none, rcode: 'REFUSED' };
    const n = ctx.reader.node('', q.node);
    if (!n) return none;
    return { rcode: 'NOERROR', answers: qtype === 'A' || qtype === 'ANY' ? [{ name: qname, type: 'A', ttl: TTL, data: n.value.Address }] : [], additionals: [] };
  }
  if (q.dc && !q.peer && q.dc !== ctx.datacenter) return none;
  if (!ctx.canReadService(q.service, q.peer)) return { ...none, rcode: 'REFUSED' };
  const entries = ctx.reader.healthService(q.peer, q.service, q.tag ? { tags: [q.tag] } : {}).filter(healthy);
  if (entries.length === 0) return ctx.reader.serviceInstances(q.peer, q.service).length > 0 ? { rcode: 'NOERROR', answers: [], additionals: [] } : none;
  const answers: DnsRecord[] = [];
  const additionals: DnsRecord[] = [];
  for (const e of entries) {
    const addr = e.service.value.Address || e.node.value.Address;
    if (qtype === 'SRV' || q.rfc2782) {
      const target = `${e.node.value.Node}.node.${q.peer ? `${q.peer}.peer` : `${ctx.datacenter}`}.${ctx.domain}`;
      answers.push({ name: qname, type: 'SRV', ttl: TTL, data: { priority: 1, weight: e.service.value.Weights.Passing, port: e.service.value.Port, target } });
      additionals.push({ name: target, type: 'A', ttl: TTL, data: addr });
    } else if (qtype === 'A' || qtype === 'ANY') {
      answers.push({ name: qname, type: 'A', ttl: TTL, data: addr });
    }
  }
  return { rcode: 'NOERROR', answers, additionals };
}
