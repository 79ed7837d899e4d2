// grpc.health.v1.Health: SERVING for the server and each registered service, NOT_FOUND otherwise.
import { status as GrpcStatus, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus as Serving, type HealthCheckRequest } from '../../../gen/grpc/health/v1/health_pb.js';

export class HealthState {
  readonly #services = new Set<string>(['']);
  readonly #watchers = new Set<ServerWritableStream<HealthCheckRequest, unknown>>();
  #serving = true;

  /** Marks a gRPC service name as served (peering mounts its service here). */
  add(name: string): void {
    this.#services.add(name);
  }

  status(name: string): Serving | undefined {
    if (!this.#services.has(name)) return undefined;
    return this.#serving ? Serving.SERVING : Serving.NOT_SERVING;
  }

  /** Flips every service to NOT_SERVING (graceful shutdown) and tells watchers. */
  shutdown(): void {
    this.#serving = false;
    for (const w of this.#watchers) {
      w.write({ status: Serving.NOT_SERVING });
      w.end();
    }
    this.#watchers.clear();
  }

  implementation(): UntypedServiceImplementation {
    return {
      check: (call: ServerUnaryCall<HealthCheckRequest, unknown>, cb: sendUnaryData<unknown>) => {
        const s = this.status(call.request.service);
        if (s === undefined) cb({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        else cb(null, { status: s });
      },
      watch: (call: ServerWritableStream<HealthCheckRequest, unknown>) => {
        const s = this.status(call.request.service);
        call.write({ status: s ?? Serving.SERVICE_UNKNOWN });
        this.#watchers.add(call);
        call.on('cancelled', () => this.#watchers.delete(call));
      },
    };
  }
}
