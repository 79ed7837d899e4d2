// Structural JWT parsing (compact JWS: three base64url parts, a JSON header naming an algorithm).
// No signature check here: the Kubernetes API server validates service-account tokens (TokenReview).

export class JwtFormatError extends Error {}

const B64URL = /^[A-Za-z0-9_-]*$/;

function segment(part: string, what: string): Buffer {
  if (!B64URL.test(part)) throw new JwtFormatError(`illegal base64 data in JWS ${what}`);
  return Buffer.from(part, 'base64url');
}

/** Returns header and claims of a compact JWS; throws JwtFormatError (messages never echo the token). */
export function parseJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new JwtFormatError('compact JWS format must have three parts');
  const [h, p, sig] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(segment(h, 'header').toString('utf8'));
  } catch (err) {
    if (err instanceof JwtFormatError) throw err;
    throw new JwtFormatError('invalid JWS header: not a JSON object');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header) || typeof (header as { alg?: unknown }).alg !== 'string') {
    throw new JwtFormatError('invalid JWS header: missing "alg"');
  }
  try {
    claims = JSON.parse(segment(p, 'payload').toString('utf8'));
  } catch (err) {
    if (err instanceof JwtFormatError) throw err;
    throw new JwtFormatError('invalid JWT payload: not a JSON object');
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new JwtFormatError('invalid JWT payload: not a JSON object');
  segment(sig, 'signature');
  return { header: header as Record<string, unknown>, claims: claims as Record<string, unknown> };
}
