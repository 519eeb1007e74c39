import { describe, expect, it } from 'vitest';
import { nextRetry, parseRetryAfter } from '../../../src/webhooks/retry-schedule.js';

const SPEC = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400].map((s) => s * 1000);

describe('webhook retry schedule', () => {
  it("follows the spec's example with ±20 % jitter, and ends after the last wait", () => {
    for (const [i, wait] of SPEC.entries()) {
      expect(nextRetry(SPEC, i + 1, null, () => 0).delayMs).toBe(Math.round(wait * 0.8));
      expect(nextRetry(SPEC, i + 1, null, () => 1).delayMs).toBe(Math.round(wait * 1.2));
    }
    expect(nextRetry(SPEC, SPEC.length + 1, null).delayMs).toBeNull();
    // About three days from the first try to the last, with jitter.
    const total = SPEC.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(3 * 24 * 3600_000);
    expect(total).toBeLessThan(3.5 * 24 * 3600_000);
  });

  it("honours a longer Retry-After, up to the schedule's longest wait", () => {
    expect(nextRetry(SPEC, 1, 60_000, () => 0.5).delayMs).toBe(60_000);
    expect(nextRetry(SPEC, 3, 60_000, () => 0.5).delayMs).toBe(1_800_000);
    expect(nextRetry(SPEC, 1, 10 * 86_400_000, () => 0.5).delayMs).toBe(86_400_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-07T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});
