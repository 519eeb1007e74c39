import { describe, expect, it } from 'vitest';
import { BASE_DELIVERIES_PER_SECOND, DispatchPace } from '../../../src/webhooks/dispatch-pace.js';

/** Passes at a steady rate (deliveries a second): the waits the pace asks for, pass by pass. */
function steady(pace: DispatchPace, perSecond: number, passes: number): number[] {
  const waits: number[] = [];
  let at = 0;
  let wait = 100;
  for (let i = 0; i < passes; i += 1) {
    wait = pace.next(Math.round((perSecond * wait) / 1000), at);
    waits.push(wait);
    at += wait;
  }
  return waits;
}

describe('webhook dispatch pace', () => {
  it('keeps the base interval at low rates', () => {
    const waits = steady(new DispatchPace(100, 400), BASE_DELIVERIES_PER_SECOND / 2, 20);
    expect(new Set(waits)).toEqual(new Set([100]));
  });

  it('grows the interval with the rate of deliveries, up to the ceiling', () => {
    const twice = steady(new DispatchPace(100, 400), 2 * BASE_DELIVERIES_PER_SECOND, 20).at(-1)!;
    expect(twice).toBeGreaterThanOrEqual(190);
    expect(twice).toBeLessThanOrEqual(210);
    expect(steady(new DispatchPace(100, 400), 5 * BASE_DELIVERIES_PER_SECOND, 20).at(-1)).toBe(400);
    expect(steady(new DispatchPace(100, 400), 100_000, 5).every((w) => w <= 400)).toBe(true);
  });

  it('goes back to the base interval once a pass finds nothing', () => {
    const pace = new DispatchPace(100, 400);
    expect(steady(pace, 5 * BASE_DELIVERIES_PER_SECOND, 20).at(-1)).toBe(400);
    expect(pace.next(0, 1_000_000)).toBe(100);
    expect(pace.next(1, 1_000_100)).toBe(100);
  });

  it('never goes below the base interval nor past a ceiling under it', () => {
    expect(steady(new DispatchPace(20, 20), 5000, 10).every((w) => w === 20)).toBe(true);
    expect(steady(new DispatchPace(100, 400), 1, 10).every((w) => w === 100)).toBe(true);
  });
});
