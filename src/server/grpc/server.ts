// The external gRPC TLS listener (peering and dataplane APIs): server certificate from the built-in CA
// with the SPIFFE ID and the peering server name, rotated in place when the CA rotates.
import { experimental, Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { IsthmusError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { peeringServerName, serverSpiffeId } from '../ca/spiffe.js';
import type { CaService } from '../ca/service.js';
import { serviceDefinition } from './codec.js';
import { HealthState } from './services/health.js';
import { CaCertificateProvider, type ServerIdentity } from './tls-provider.js';

/** gRPC's own default is 4 MiB; the external server accepts up to 50 MiB (spec §14). */
export const MAX_RECEIVE_MESSAGE_BYTES = 50 * 1024 * 1024;
export const MAX_CONCURRENT_STREAMS = 2048;
const SHUTDOWN_GRACE_MS = 2_000;

export class GrpcServer {
  readonly #ca: CaService;
  readonly #log: Logger;
  readonly #datacenter: string;
  readonly #server: Server;
  readonly health = new HealthState();
  #unsubscribe: (() => void) | undefined;

  constructor(deps: { ca: CaService; log: Logger }, options: { datacenter: string }) {
    this.#ca = deps.ca;
    this.#log = deps.log;
    this.#datacenter = options.datacenter;
    this.#server = new Server({
      'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
      'grpc.max_concurrent_streams': MAX_CONCURRENT_STREAMS,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 15_000,
    });
    this.addService(serviceDefinition(Health), this.health.implementation());
  }

  /** The name the server certificate carries and dialers verify (spec §4.1). */
  get serverName(): string {
    return peeringServerName(this.#datacenter, this.#ca.trustDomain);
  }

  addService(def: ServiceDefinition, impl: UntypedServiceImplementation): void {
    this.#server.addService(def, impl);
  }

  async #identity(): Promise<ServerIdentity> {
    const td = this.#ca.trustDomain;
    const { certPem, keyPem } = await this.#ca.issue({ commonName: this.serverName, uris: [serverSpiffeId(td, this.#datacenter)], dnsNames: [this.serverName] });
    return { certPem, keyPem, caPems: this.#ca.rootPems() };
  }

  async listen(host: string, port: number): Promise<number> {
    const provider = new CaCertificateProvider(await this.#identity());
    this.#unsubscribe = this.#ca.onRotate(() => {
      this.#identity()
        .then((id) => provider.update(id))
        .then(() => this.#log.info('gRPC TLS certificate reissued after CA rotation'))
        .catch((err: unknown) => this.#log.error('cannot reissue the gRPC TLS certificate', { error: (err as Error).message }));
    });
    const creds: ServerCredentials = experimental.createCertificateProviderServerCredentials(provider, provider, false);
    return new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(`${host}:${port}`, creds, (err, bound) => {
        if (err) reject(new IsthmusError('UNAVAILABLE', `cannot listen for gRPC TLS on ${host}:${port}: ${err.message}`, { cause: err }));
        else resolve(bound);
      });
    });
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.health.shutdown();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
