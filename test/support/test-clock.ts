import { Clock } from '../../src/common/clock/clock.js';

/** A clock the test moves by hand; starts at the real time. */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
