// Reads the SNI from a TLS ClientHello without decrypting anything (pure; bytes in, name out).

export type SniResult = { status: 'ok'; sni: string } | { status: 'incomplete' } | { status: 'no-sni' } | { status: 'not-tls' };

/** Parses the first TLS record of a connection. `incomplete` means: read more bytes and retry. */
export function parseClientHelloSni(buf: Buffer): SniResult {
  if (buf.length < 5) return { status: 'incomplete' };
  if (buf[0] !== 0x16 || buf[1] !== 0x03) return { status: 'not-tls' };
  const recordLen = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLen) return { status: 'incomplete' };
  const hs = buf.subarray(5, 5 + recordLen);
  if (hs[0] !== 0x01 || hs.length < 4) return { status: 'not-tls' };
  let p = 4 + 2 + 32; // handshake header, client_version, random
  if (p + 1 > hs.length) return { status: 'not-tls' };
  p += 1 + (hs[p] as number); // session id
  if (p + 2 > hs.length) return { status: 'not-tls' };
  p += 2 + hs.readUInt16BE(p); // cipher suites
  if (p + 1 > hs.length) return { status: 'not-tls' };
  p += 1 + (hs[p] as number); // compression methods
  if (p + 2 > hs.length) return { status: 'no-sni' };
  const extEnd = Math.min(hs.length, p + 2 + hs.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = hs.readUInt16BE(p);
    const len = hs.readUInt16BE(p + 2);
    const body = hs.subarray(p + 4, p + 4 + len);
    if (type === 0 && body.length >= 5) {
      let q = 2; // server_name_list length
      while (q + 3 <= body.length) {
        const nameType = body[q] as number;
        const nameLen = body.readUInt16BE(q + 1);
        if (nameType === 0) return { status: 'ok', sni: body.subarray(q + 3, q + 3 + nameLen).toString('ascii').toLowerCase() };
        q += 3 + nameLen;
      }
    }
    p += 4 + len;
  }
  return { status: 'no-sni' };
}
