import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelayMs } from '../../src/provider/dyplsapi/retry-backoff.js';

const policy = { baseMs: 50, capMs: 1000 };

describe('full-jitter capped exponential backoff', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('doubles the window per retry up to the cap', () => {
    const top = (retry: number) => backoffDelayMs(retry, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7].map(top)).toEqual([49, 99, 199, 399, 799, 999, 999]);
  });

  it('spreads delays uniformly from zero (full jitter)', () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(100);
  });

  it('stays finite and capped for absurd retry numbers and random values', () => {
    expect(backoffDelayMs(10_000, policy, () => 0.5)).toBe(500);
    expect(backoffDelayMs(10_000, { baseMs: 0, capMs: 1000 }, () => 0.5)).toBe(0);
    expect(backoffDelayMs(0, policy, () => 1.5)).toBe(50);
    expect(backoffDelayMs(2, policy, () => -1)).toBe(0);
  });

  it('uses Math.random by default and never exceeds the window', () => {
    const random = vi.spyOn(Math, 'random');
    for (let i = 0; i < 100; i += 1) {
      random.mockReturnValueOnce(i / 100);
      const delay = backoffDelayMs(2, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(100);
    }
    expect(random).toHaveBeenCalledTimes(100);
  });
});
