// Feeds the gRPC TLS listener its server certificate and CA roots from the built-in CA, and swaps
// them in place after a root rotation (new handshakes get the new certificate; open streams stay).
import { experimental } from '@grpc/grpc-js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdListener = experimental.IdentityCertificateUpdateListener;

export interface ServerIdentity {
  certPem: string;
  keyPem: string;
  caPems: string[];
}

export class CaCertificateProvider implements experimental.CertificateProvider {
  readonly #ca = new Set<CaListener>();
  readonly #id = new Set<IdListener>();
  #current: ServerIdentity;

  constructor(initial: ServerIdentity) {
    this.#current = initial;
  }

  update(next: ServerIdentity): void {
    this.#current = next;
    for (const l of this.#ca) l(this.#caUpdate());
    for (const l of this.#id) l(this.#idUpdate());
  }

  #caUpdate(): experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.#current.caPems.join('\n')) };
  }

  #idUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.#current.certPem), privateKey: Buffer.from(this.#current.keyPem) };
  }

  // grpc-js registers its own watcher only after adding listeners, so first values arrive async.
  addCaCertificateListener(l: CaListener): void {
    this.#ca.add(l);
    setImmediate(() => this.#ca.has(l) && l(this.#caUpdate()));
  }

  removeCaCertificateListener(l: CaListener): void {
    this.#ca.delete(l);
  }

  addIdentityCertificateListener(l: IdListener): void {
    this.#id.add(l);
    setImmediate(() => this.#id.has(l) && l(this.#idUpdate()));
  }

  removeIdentityCertificateListener(l: IdListener): void {
    this.#id.delete(l);
  }
}
