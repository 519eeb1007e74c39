import { Injectable } from '@nestjs/common';

/**
 * The service's notion of "now". Everything that compares against expiry asks the clock (and
 * passes the time to SQL as a parameter instead of using now()), so tests can move time.
 */
export abstract class Clock {
  abstract now(): Date;
}

@Injectable()
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
