// The one error model: a stable gRPC-canonical code, a message safe to show, an optional cause.

/** Canonical error codes (gRPC vocabulary); HTTP and gRPC status mappings live in one file each. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

const BRAND = Symbol.for('isthmus.error');

export interface IsthmusErrorOptions {
  cause?: unknown;
  /** A machine-readable reason, e.g. `STORE_HISTORY_COMPACTED`. */
  reason?: string;
  /** Structured details; never secrets. */
  details?: Record<string, unknown>;
  /**
   * Override the HTTP status the code maps to. Used only where Consul answers a code with an
   * unusual status that clients rely on (for example a 500 for "no TTL on this check").
   */
  httpStatus?: number;
}

/** The base error of Isthmus: match on `code` (and `reason`), never on the message. */
export class IsthmusError extends Error {
  readonly code: ErrorCode;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly httpStatus: number | undefined;

  constructor(code: ErrorCode, message: string, options: IsthmusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IsthmusError';
    this.code = code;
    this.reason = options.reason;
    this.details = options.details;
    this.httpStatus = options.httpStatus;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static is(value: unknown): value is IsthmusError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Shorthand for the most common client error. */
export function invalid(message: string, options?: IsthmusErrorOptions): IsthmusError {
  return new IsthmusError('INVALID_ARGUMENT', message, options);
}

export function notFound(message: string, options?: IsthmusErrorOptions): IsthmusError {
  return new IsthmusError('NOT_FOUND', message, options);
}

/** Wraps anything thrown into an IsthmusError; unknown errors become INTERNAL once. */
export function toIsthmusError(err: unknown): IsthmusError {
  if (IsthmusError.is(err)) return err;
  return new IsthmusError('INTERNAL', 'An unexpected error occurred', { cause: err });
}
