// DNS question names → what they ask for (consul-tools.md §2.1, peering.md §9.2), pure.
// [<tag>.]<svc>.service[.<dc> | .<dc>.dc | .<peer>.peer].<domain>; _<svc>._<tag>[.service]...;
// <node>.node[...]; <hex>.addr[.<dc>]; <svc>.connect|ingress[.<dc>]; <svc>.virtual[.<peer>];
// <q>.query[...]; the domain apex; PTR names under in-addr.arpa / ip6.arpa.

export interface Locality {
  dc?: string;
  peer?: string;
}

export type DnsQuery =
  | ({ kind: 'service'; service: string; tag?: string; rfc2782: boolean } & Locality)
  | ({ kind: 'connect' | 'ingress'; service: string } & Locality)
  | ({ kind: 'node'; node: string } & Locality)
  | ({ kind: 'addr'; hex: string } & Locality)
  | { kind: 'virtual'; service: string; peer?: string }
  | ({ kind: 'query'; name: string } & Locality)
  | { kind: 'apex' }
  | { kind: 'invalid' };

export interface ParsedName {
  /** The domain that was asked (primary or alt), without the trailing dot. */
  domain: string;
  query: DnsQuery;
}

const KINDS = new Set(['service', 'connect', 'ingress', 'node', 'addr', 'virtual', 'query']);
const INVALID: DnsQuery = { kind: 'invalid' };

/** Which served domain `qname` falls in (longest match), or undefined when it is not ours. */
export function matchDomain(qname: string, domains: readonly string[]): { domain: string; labels: string[] } | undefined {
  const name = qname.toLowerCase().replace(/\.$/, '');
  const sorted = domains.filter((d) => d !== '').map((d) => d.toLowerCase().replace(/\.$/, '')).sort((a, b) => b.length - a.length);
  for (const d of sorted) {
    if (name === d) return { domain: d, labels: [] };
    if (name.endsWith(`.${d}`)) return { domain: d, labels: name.slice(0, -d.length - 1).split('.') };
  }
  return undefined;
}

/** Locality labels after the query kind: none, a single datacenter, or `<value>.<dc|peer>` pairs. */
function parseLocality(suffix: string[], singleIsPeer = false): Locality | undefined {
  if (suffix.length === 0) return {};
  if (suffix.length === 1) return singleIsPeer ? { peer: suffix[0] as string } : { dc: suffix[0] as string };
  if (suffix.length % 2 !== 0) return undefined;
  const out: Locality = {};
  for (let i = 0; i < suffix.length; i += 2) {
    const value = suffix[i] as string;
    const key = suffix[i + 1];
    if (key === 'dc') out.dc = value;
    else if (key === 'peer') out.peer = value;
    // Namespaces and partitions exist only in Enterprise: the default ones are all there is.
    else if ((key === 'ns' || key === 'ap') && value === 'default') continue;
    else return undefined;
  }
  if (out.dc !== undefined && out.peer !== undefined) return undefined;
  return out;
}

/** Parses a question name inside one of `domains`; undefined when it is outside them. */
export function parseDnsName(qname: string, domains: readonly string[]): ParsedName | undefined {
  const m = matchDomain(qname, domains);
  if (!m) return undefined;
  const { domain, labels } = m;
  if (labels.length === 0) return { domain, query: { kind: 'apex' } };
  let ki = -1;
  for (let i = labels.length - 1; i >= 0; i--) {
    if (KINDS.has(labels[i] as string)) {
      ki = i;
      break;
    }
  }
  // RFC 2782 without the `service` label: _<svc>._<tag>[.<locality>].<domain>.
  if (ki < 0 && labels.length >= 2 && labels[0]?.startsWith('_') && labels[1]?.startsWith('_')) {
    const loc = parseLocality(labels.slice(2));
    return { domain, query: loc ? rfc2782(labels[0], labels[1], loc) : INVALID };
  }
  if (ki < 1) return { domain, query: INVALID };
  const kind = labels[ki] as string;
  const parts = labels.slice(0, ki);
  const loc = parseLocality(labels.slice(ki + 1), kind === 'virtual');
  if (!loc) return { domain, query: INVALID };
  switch (kind) {
    case 'service': {
      if (parts.length === 2 && parts[0]?.startsWith('_') && parts[1]?.startsWith('_')) return { domain, query: rfc2782(parts[0], parts[1], loc) };
      if (parts.length === 1) return { domain, query: { kind: 'service', service: parts[0] as string, rfc2782: false, ...loc } };
      if (parts.length === 2) return { domain, query: { kind: 'service', service: parts[1] as string, tag: parts[0] as string, rfc2782: false, ...loc } };
      return { domain, query: INVALID };
    }
    case 'connect':
    case 'ingress':
      if (parts.length !== 1 || loc.peer !== undefined) return { domain, query: INVALID };
      return { domain, query: { kind, service: parts[0] as string, ...loc } };
    case 'node':
      return { domain, query: { kind: 'node', node: parts.join('.'), ...loc } };
    case 'addr':
      if (parts.length !== 1) return { domain, query: INVALID };
      return { domain, query: { kind: 'addr', hex: parts[0] as string, ...loc } };
    case 'virtual':
      if (parts.length !== 1 || loc.dc !== undefined) return { domain, query: INVALID };
      return { domain, query: { kind: 'virtual', service: parts[0] as string, ...(loc.peer ? { peer: loc.peer } : {}) } };
    default:
      if (parts.length !== 1) return { domain, query: INVALID };
      return { domain, query: { kind: 'query', name: parts[0] as string, ...loc } };
  }
}

function rfc2782(svcLabel: string, tagLabel: string, loc: Locality): DnsQuery {
  const service = svcLabel.slice(1);
  const tag = tagLabel.slice(1);
  if (!service) return INVALID;
  return { kind: 'service', service, ...(tag && tag !== 'tcp' ? { tag } : {}), rfc2782: true, ...loc };
}

/** The IP a reverse-lookup name stands for, or undefined when it is not a complete PTR name. */
export function parsePtrName(qname: string): string | undefined {
  const name = qname.toLowerCase().replace(/\.$/, '');
  if (name.endsWith('.in-addr.arpa')) {
    const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined;
    return octets.reverse().map(Number).join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const hex = nibbles.reverse().join('');
    return canonicalIp(hex.match(/.{4}/g)!.join(':'));
  }
  return undefined;
}

export function isReverseName(qname: string): boolean {
  return /\.(in-addr|ip6)\.arpa\.?$/i.test(qname);
}

/** An IPv4 or IPv6 address as 8 or 32 hex digits (the `<hex>.addr` form). */
export function ipToHex(ip: string): string | undefined {
  const v4 = ipv4Bytes(ip);
  if (v4) return v4.map((b) => b.toString(16).padStart(2, '0')).join('');
  const v6 = ipv6Bytes(ip);
  return v6 ? v6.map((b) => b.toString(16).padStart(2, '0')).join('') : undefined;
}

/** The address 8 or 32 hex digits stand for; undefined for any other length or non-hex. */
export function hexToIp(hex: string): { ip: string; family: 4 | 6 } | undefined {
  if (!/^[0-9a-f]+$/i.test(hex)) return undefined;
  if (hex.length === 8) return { ip: hex.match(/.{2}/g)!.map((b) => parseInt(b, 16)).join('.'), family: 4 };
  if (hex.length === 32) return { ip: canonicalIp(hex.toLowerCase().match(/.{4}/g)!.join(':')), family: 6 };
  return undefined;
}

export function ipFamily(s: string): 4 | 6 | undefined {
  return ipv4Bytes(s) ? 4 : ipv6Bytes(s) ? 6 : undefined;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Bytes(s: string): number[] | undefined {
  const m = IPV4.exec(s);
  if (!m) return undefined;
  const bytes = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function ipv6Bytes(s: string): number[] | undefined {
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let head = s;
  let tailV4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = ipv4Bytes(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const left = groups(halves[0] as string);
  const right = halves.length === 2 ? groups(halves[1] as string) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tailV4.length === 4) bytes.splice(12, 4, ...tailV4);
  return bytes;
}

/** The canonical text of an IP (IPv6 compressed per RFC 5952); other text is returned as given. */
export function canonicalIp(s: string): string {
  if (ipv4Bytes(s)) return s;
  const b = ipv6Bytes(s);
  if (!b) return s;
  const groups = Array.from({ length: 8 }, (_, i) => (((b[2 * i] as number) << 8) | (b[2 * i + 1] as number)).toString(16));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
