// The etcd client's fault handling: only connection failures skip a member or retry a call. The
// client's defaults also count refusals such as "request too large" as member failures, which
// opens the member's circuit for every later call.
import { GRPCDeadlineExceededError, GRPCUnavailableError, type IOptions } from 'etcd3';

type Task<T> = (context: unknown) => Promise<T>;
type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** Errors that mean "this member could not be reached", not "the member refused". */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof GRPCUnavailableError || err instanceof GRPCDeadlineExceededError;
}

class BrokenCircuit extends Error {
  readonly isBrokenCircuitError = true;
  constructor() {
    super('etcd member skipped after consecutive connection failures');
  }
}

/** Per member: after `threshold` consecutive connection failures, skip it for `openMs`, then try again. */
export function memberBreaker(threshold = 3, openMs = 1_000): Policy {
  let failures = 0;
  let openUntil = 0;
  return {
    async execute<T>(fn: Task<T>): Promise<T> {
      if (failures >= threshold && Date.now() < openUntil) throw new BrokenCircuit();
      try {
        const r = await fn({});
        failures = 0;
        return r;
      } catch (err) {
        if (isConnectionFailure(err)) {
          failures += 1;
          if (failures >= threshold) openUntil = Date.now() + openMs;
        }
        throw err;
      }
    },
  } as unknown as Policy;
}

/** Whole call: retried on another member only when it never reached one (UNAVAILABLE). */
export function unavailableRetry(attempts = 3): Policy {
  return {
    async execute<T>(fn: Task<T>): Promise<T> {
      for (let i = 1; ; i++) {
        try {
          return await fn({});
        } catch (err) {
          if (i >= attempts || !(err instanceof GRPCUnavailableError)) throw err;
        }
      }
    },
  } as unknown as Policy;
}
