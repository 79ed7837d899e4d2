// Reconnect delays of the dialer (spec §4.7) and the jittered wait of the secret exchange (§5.3).

export type FailureKind = 'failed-precondition' | 'resource-exhausted' | 'other';

export const MAX_GENERIC_BACKOFF_MS = 64_000;
export const MAX_PRECONDITION_BACKOFF_MS = 8_192;
export const RESOURCE_EXHAUSTED_BACKOFF_MS = 8_192;

/** Delay after the n-th consecutive failure (n ≥ 1). */
export function retryDelayMs(kind: FailureKind, failures: number): number {
  const n = Math.max(1, failures);
  if (kind === 'resource-exhausted') return RESOURCE_EXHAUSTED_BACKOFF_MS;
  if (kind === 'failed-precondition') {
    if (n <= 5) return 8;
    return Math.min(8 * 2 ** (n - 5), MAX_PRECONDITION_BACKOFF_MS);
  }
  return Math.min(2 ** n * 1000, MAX_GENERIC_BACKOFF_MS);
}

/** 150 ms ± 25 % between ExchangeSecret attempts. */
export function exchangeRetryWaitMs(random: () => number = Math.random): number {
  return Math.round(150 * (1 + (random() * 2 - 1) * 0.25));
}
