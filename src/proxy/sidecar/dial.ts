// mTLS client options for an endpoint: our leaf, the endpoint's roots, its SNI, and a server identity
// check against the SPIFFE IDs the endpoint may present.
import type tls from 'node:tls';
import { uriSans } from '../tls/identity.js';
import type { Endpoint, Material } from './types.js';

export function mtlsOptions(ep: Endpoint, m: Material): tls.ConnectionOptions {
  return {
    host: ep.host,
    port: ep.port,
    servername: ep.sni,
    cert: m.certPem,
    key: m.keyPem,
    ca: ep.ca,
    checkServerIdentity: (_host, cert) => {
      const uris = uriSans(cert.subjectaltname);
      return uris.some((x) => ep.spiffe.includes(x)) ? undefined : new Error(`server identity ${uris.join(',') || '(none)'} is not one of ${ep.spiffe.join(',')}`);
    },
  };
}
