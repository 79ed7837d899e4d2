// The one mapping between error codes and gRPC statuses.
import { status, type ServiceError } from '@grpc/grpc-js';
import { IsthmusError, type ErrorCode } from '../../lib/errors.js';

const TO_GRPC: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  ABORTED: status.ABORTED,
  OUT_OF_RANGE: status.OUT_OF_RANGE,
  UNAVAILABLE: status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  INTERNAL: status.INTERNAL,
};

/** Status details stay small: they travel in an HTTP/2 trailer, and may quote what a peer sent. */
export const MAX_STATUS_DETAILS = 1024;

export function boundedDetails(text: string): string {
  return text.length <= MAX_STATUS_DETAILS ? text : `${text.slice(0, MAX_STATUS_DETAILS)}…(truncated)`;
}

/** A gRPC status object for an error; unknown errors become INTERNAL without leaking details. */
export function toGrpcError(err: unknown): Partial<ServiceError> {
  if (IsthmusError.is(err)) {
    const details = boundedDetails(err.message);
    return { code: TO_GRPC[err.code], details, message: details };
  }
  return { code: status.INTERNAL, details: 'internal error', message: 'internal error' };
}

/** The canonical code name of a gRPC status number. */
export function grpcCodeName(code: number | undefined): string {
  return code === undefined ? 'UNKNOWN' : (status[code] ?? 'UNKNOWN');
}

/** Rebuilds a typed error from a gRPC failure (codes survive the wire; messages stay the peer's). */
export function fromGrpcError(err: ServiceError): IsthmusError {
  const name = grpcCodeName(err.code);
  const code = (Object.keys(TO_GRPC) as ErrorCode[]).find((k) => k === name) ?? 'UNAVAILABLE';
  return new IsthmusError(code, err.details || err.message, { cause: err });
}
