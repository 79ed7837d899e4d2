// Maps etcd client failures to the one error model: what a caller (and an HTTP client) can act on.
import { IsthmusError } from '../../lib/errors.js';

/** etcd's default --max-request-bytes: larger writes are refused by the server. */
export const ETCD_DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export function etcdFailure(err: unknown, what: string): IsthmusError {
  if (IsthmusError.is(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/request is too large|message larger than max|exceeds the maximum/i.test(message)) {
    return new IsthmusError('INVALID_ARGUMENT', `${what}: the write is larger than etcd accepts (--max-request-bytes, ${ETCD_DEFAULT_MAX_REQUEST_BYTES} bytes by default)`, {
      cause: err,
      reason: 'STORE_VALUE_TOO_LARGE',
      httpStatus: 413,
    });
  }
  if (/compacted/i.test(message)) {
    return new IsthmusError('OUT_OF_RANGE', `${what}: the requested revision was compacted`, { cause: err, reason: 'STORE_HISTORY_COMPACTED' });
  }
  // Unreachable members, lost quorum, deadlines: the store is unavailable, the write was not acknowledged.
  return new IsthmusError('UNAVAILABLE', `${what}: etcd is unavailable (${message.split('\n')[0]})`, { cause: err, reason: 'STORE_UNAVAILABLE' });
}
