/**
 * When a failed delivery is tried again. The schedule's waits come from WEBHOOKS_RETRY_SCHEDULE
 * (the Standard Webhooks example by default); each gets ±20 % jitter, so receivers that failed
 * together are not hit together again. A receiver's Retry-After (429, 503) wins when it asks for
 * longer, up to the schedule's longest wait (at least an hour). pg-boss holds the job until then.
 */
export interface RetryDecision {
  /** Null: no try left, the delivery is dead. */
  delayMs: number | null;
}

const JITTER = 0.2;
/** A Retry-After is believed up to the schedule's longest wait, and never capped below this. */
const RETRY_AFTER_CAP_FLOOR_MS = 3_600_000;

export function nextRetry(
  scheduleMs: readonly number[],
  attemptsMade: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): RetryDecision {
  const base = scheduleMs[attemptsMade - 1];
  if (base === undefined) return { delayMs: null };
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  const longest = Math.max(RETRY_AFTER_CAP_FLOOR_MS, ...scheduleMs);
  const delayMs =
    retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, longest));
  return { delayMs };
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
