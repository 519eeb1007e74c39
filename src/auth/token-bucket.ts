/**
 * Token buckets per caller: `ratePerSecond` tokens refill continuously up to `burst`; a request
 * takes one. Pure (time is passed in), so it is unit-tested without waiting.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxCallers = 100_000,
  ) {}

  /** Takes a token for `caller` at `nowMs`; returns 0 when allowed, else the seconds to wait. */
  take(caller: string, nowMs: number): number {
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      if (this.buckets.size >= this.maxCallers) this.buckets.clear();
      bucket = { tokens: this.burst, at: nowMs };
      this.buckets.set(caller, bucket);
    }
    const refill = ((nowMs - bucket.at) / 1000) * this.ratePerSecond;
    bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, refill));
    bucket.at = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }
}
