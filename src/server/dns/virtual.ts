// Virtual-IP DNS names (dataplane-l7-auth.md §1, peering.md §9.2), pure:
// <svc>.virtual.<domain> (local), <svc>.virtual.<peer>.<domain> and <svc>.virtual.<peer>.peer.<domain> (imported).
import { negativeAnswer, type DnsAnswer, type DnsContext } from './answer.js';

export interface VirtualDnsContext extends DnsContext {
  /** The auto VIP of (peer, service); undefined when it has none. */
  virtualIp?(peer: string, service: string): string | undefined;
}

/** Parses a `.virtual.` name; undefined when the name is not one. */
export function parseVirtualName(qname: string, domain: string): { service: string; peer: string } | undefined {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const suffix = `.${domain.toLowerCase()}`;
  if (!name.endsWith(suffix)) return undefined;
  const labels = name.slice(0, -suffix.length).split('.');
  if (labels[1] !== 'virtual' || !labels[0]) return undefined;
  const rest = labels.slice(2);
  if (rest.length === 0) return { service: labels[0], peer: '' };
  if (rest.length === 1) return { service: labels[0], peer: rest[0] as string };
  if (rest.length === 2 && rest[1] === 'peer') return { service: labels[0], peer: rest[0] as string };
  return undefined;
}

/** The answer to a virtual-IP question, or undefined when the name is not a `.virtual.` one. */
export function answerVirtual(qname: string, qtype: string, ctx: VirtualDnsContext): DnsAnswer | undefined {
  const q = parseVirtualName(qname, ctx.domain);
  if (!q || !ctx.virtualIp) return undefined;
  if (!ctx.canReadService(q.service, q.peer)) return { rcode: 'REFUSED', answers: [], authorities: [], additionals: [] };
  const vip = ctx.virtualIp(q.peer, q.service);
  if (!vip) return negativeAnswer(ctx, 'NXDOMAIN');
  const answers = qtype === 'A' || qtype === 'ANY' ? [{ name: qname, type: 'A' as const, ttl: 0, data: vip }] : [];
  return answers.length > 0 ? { rcode: 'NOERROR', answers, authorities: [], additionals: [] } : negativeAnswer(ctx, 'NODATA');
}
