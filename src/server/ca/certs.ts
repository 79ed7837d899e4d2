// Certificate mechanics of the built-in CA: keys, roots, leaves and cross-signing (WebCrypto + @peculiar/x509).
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type EcBits = 256 | 384 | 521;
const CURVE: Record<EcBits, string> = { 256: 'P-256', 384: 'P-384', 521: 'P-521' };
const HASH: Record<EcBits, string> = { 256: 'SHA-256', 384: 'SHA-384', 521: 'SHA-512' };

export interface KeyMaterial {
  keys: CryptoKeyPair;
  bits: EcBits;
}

export async function generateKey(bits: EcBits = 256): Promise<KeyMaterial> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: CURVE[bits] }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { keys, bits };
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Imports an EC private key PEM (PKCS#8, or SEC1 `EC PRIVATE KEY` as openssl writes) and derives its public key. */
export async function importPrivateKeyPem(pem: string): Promise<KeyMaterial> {
  const der = pem.includes('-----BEGIN EC PRIVATE KEY-----') ? sec1ToPkcs8(pem) : x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no PEM block found');
  for (const bits of [256, 384, 521] as EcBits[]) {
    try {
      const priv = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: CURVE[bits] }, true, ['sign']);
      const jwk = await webcrypto.subtle.exportKey('jwk', priv);
      const pub = await webcrypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, ext: true }, { name: 'ECDSA', namedCurve: CURVE[bits] }, true, ['verify']);
      return { keys: { privateKey: priv as unknown as CryptoKey, publicKey: pub as unknown as CryptoKey }, bits };
    } catch {
      // try the next curve
    }
  }
  throw new Error('private key is not a PKCS#8 EC key on P-256, P-384 or P-521');
}

function sec1ToPkcs8(pem: string): ArrayBuffer {
  const der = createPrivateKey({ key: pem, format: 'pem' }).export({ type: 'pkcs8', format: 'der' });
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
}

/** Colon-separated lowercase hex, as Consul prints IDs and serials. */
export function colonHex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function fingerprint(certPem: string): string {
  const der = x509.PemConverter.decode(certPem)[0] as ArrayBuffer;
  return colonHex(createHash('sha256').update(new Uint8Array(der)).digest());
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(8));
  b[0] = ((b[0] as number) & 0x7f) | 0x01;
  return Buffer.from(b).toString('hex');
}

export interface RootParams {
  commonName: string;
  trustDomain: string;
  key: KeyMaterial;
  ttlMs: number;
}

export async function createRootCert(p: RootParams): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${p.commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + p.ttlMs),
    keys: p.key.keys,
    signingAlgorithm: { name: 'ECDSA', hash: HASH[p.key.bits] },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(p.key.keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(p.key.keys.publicKey),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${p.trustDomain}` }]),
    ],
  });
}

export interface Signer {
  cert: x509.X509Certificate;
  key: KeyMaterial;
}

/** Re-issues `subject` (a CA cert) under `signer`: the cross-signed intermediate of a rotation. */
export async function crossSign(signer: Signer, subject: x509.X509Certificate, ttlMs: number): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject.subject,
    issuer: signer.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(Math.min(now + ttlMs, signer.cert.notAfter.getTime())),
    publicKey: subject.publicKey,
    signingKey: signer.key.keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: HASH[signer.key.bits] },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(await subject.publicKey.export()),
      await x509.AuthorityKeyIdentifierExtension.create(signer.key.keys.publicKey),
      ...subject.extensions.filter((e) => e.type === '2.5.29.17'),
    ],
  });
}

export interface LeafParams {
  commonName: string;
  uris: string[];
  dnsNames?: string[];
  ttlMs: number;
  /** Server and client auth both (mesh leaves are used in both directions). */
  publicKey: CryptoKey;
}

export async function signLeaf(signer: Signer, p: LeafParams): Promise<x509.X509Certificate> {
  const now = Date.now();
  const names: x509.JsonGeneralNames = [...p.uris.map((u) => ({ type: 'url' as const, value: u })), ...(p.dnsNames ?? []).map((d) => ({ type: 'dns' as const, value: d }))];
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${p.commonName}`,
    issuer: signer.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(Math.min(now + p.ttlMs, signer.cert.notAfter.getTime())),
    publicKey: p.publicKey,
    signingKey: signer.key.keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: HASH[signer.key.bits] },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(signer.key.keys.publicKey),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
}

export function parseCertPem(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

/** Hex (colon-free) Subject Key Identifier of a certificate, if present. */
export function subjectKeyId(cert: x509.X509Certificate): string {
  const ext = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  return ext ? ext.keyId : '';
}

export { x509 };
