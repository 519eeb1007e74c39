import { Injectable } from '@nestjs/common';

/**
 * The service's notion of "now". Everything that compares against expiry asks the clock (and
 * passes the time to SQL as a parameter instead of using now()), so tests can move time.
 */
export abstract class Clock {
  abstract now(): Date;

  /** `now()` in ms since the epoch, without a Date to make (the system clock's hot paths). */
  nowMs(): number {
    return this.now().getTime();
  }
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  override nowMs(): number {
    return Date.now();
  }
}
