/** Where the breaker stands: calls flow, calls are skipped, or one trial call is allowed. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long the circuit stays open before a trial call, ms. */
  cooldownMs: number;
}

/**
 * A consecutive-failure circuit breaker on an injected clock (so tests move time instead of
 * sleeping). While open, callers are told not to call; after the cool-down exactly one trial call
 * is let through at a time, and its result closes or re-opens the circuit.
 */
export class CircuitBreaker {
  private failuresInRow = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.settings.cooldownMs ? 'half-open' : 'open';
  }

  /**
   * Whether a call may go out now. In half-open state the first caller gets the trial; it must
   * report back with succeeded() or failed().
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  succeeded(): void {
    this.failuresInRow = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failed(): void {
    this.failuresInRow += 1;
    const trialFailed = this.trialInFlight;
    this.trialInFlight = false;
    if (trialFailed || this.failuresInRow >= this.settings.failures) this.openedAt = this.now();
  }

  /** A call that proved nothing about the provider's health (e.g. refused for our account). */
  released(): void {
    this.trialInFlight = false;
  }
}
