/**
 * Deliveries a second up to which the dispatcher keeps its base interval
 * (WEBHOOKS_DISPATCH_INTERVAL_MS); beyond, the interval grows in proportion to the rate.
 */
export const BASE_DELIVERIES_PER_SECOND = 400;

/**
 * The wait between dispatch passes: the base interval at low rates (an event's lag stays short),
 * growing with the rate of deliveries made up to a ceiling (WEBHOOKS_DISPATCH_INTERVAL_MAX_MS).
 * A pass costs about the same whatever it carries (its transaction, a batch job per endpoint
 * that pg-boss writes three times and fetches, the batch's read and its settlement): at 100 ms
 * and ~2,000 deliveries a second those were most of what delivering cost the database (README:
 * Benchmarks), and larger, fewer batches spread them over more events. The rate is smoothed
 * over passes; a pass that found nothing drops it to zero (the next event goes at the base pace).
 */
export class DispatchPace {
  /** Deliveries a second, smoothed. */
  private rate = 0;
  private lastPassAt: number | undefined;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** A pass that began at `startedAtMs` (a monotonic clock) made `deliveries`: the next wait. */
  next(deliveries: number, startedAtMs: number): number {
    const elapsed = this.lastPassAt === undefined ? 0 : startedAtMs - this.lastPassAt;
    this.lastPassAt = startedAtMs;
    if (deliveries === 0) this.rate = 0;
    else if (elapsed > 0) this.rate = (this.rate + (deliveries * 1000) / elapsed) / 2;
    const grown = (this.baseMs * this.rate) / BASE_DELIVERIES_PER_SECOND;
    return Math.round(Math.min(this.maxMs, Math.max(this.baseMs, grown)));
  }
}
