/**
 * The simulated clock: real time plus an offset that the control API moves. Expiration checks and
 * binding expiry read it, so tests make bindings expire by advancing it instead of sleeping.
 * Request Timestamps and nonces are checked against the real clock, since clients sign with it.
 */
export class SimClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  set(epochMs: number): void {
    this.offsetMs = epochMs - Date.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
