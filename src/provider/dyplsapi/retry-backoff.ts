export interface BackoffPolicy {
  /** Upper bound of the first retry's delay. */
  baseMs: number;
  /** No delay exceeds this, however many retries. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 1000 };

/**
 * "Full jitter" exponential backoff: a uniformly random delay in [0, min(cap, base * 2^(n-1))).
 * Spreading retries over the whole window keeps many clients that failed together (flow limit)
 * from retrying together. `retry` is 1 for the first retry.
 */
export function backoffDelayMs(
  retry: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(retry));
  // A bounded exponent keeps the product finite (0 * Infinity would be NaN) for any retry count.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}
