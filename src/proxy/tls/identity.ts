// Client and server identity checks of the mesh: which SPIFFE ID a peer certificate carries, and
// whether its chain really ends in the roots of the trust domain it claims.
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';

/** The URI SANs of a certificate (`URI:spiffe://…` entries). */
export function uriSans(subjectAltName: string | undefined): string[] {
  return (subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}

/** Splits a PEM bundle into certificates. */
export function splitPems(pems: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const text of pems) {
    for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) out.push(new X509Certificate(m[0]));
  }
  return out;
}

/**
 * True when the presented chain (leaf first, as TLS delivered it) leads to one of `roots`: each
 * certificate is issued and signed by the next, and the last one is signed by a root.
 */
export function chainEndsIn(peer: DetailedPeerCertificate, roots: X509Certificate[]): boolean {
  const chain: X509Certificate[] = [];
  let cur: DetailedPeerCertificate | undefined = peer;
  const seen = new Set<string>();
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    chain.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate && cur.issuerCertificate !== cur ? cur.issuerCertificate : undefined;
  }
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i] as X509Certificate;
    if (roots.some((r) => c.checkIssued(r) && c.verify(r.publicKey))) {
      // Every link below must hold too.
      return chain.slice(0, i).every((x, j) => x.verify((chain[j + 1] as X509Certificate).publicKey));
    }
  }
  return false;
}
