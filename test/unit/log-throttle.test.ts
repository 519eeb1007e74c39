import { Logger, type LoggerService } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_THROTTLE_INTERVAL_MS, LogThrottle } from '../../src/logging/log-throttle.js';
import { Clock } from '../../src/common/clock/clock.js';

/** A clock that moves only when told (the throttle's intervals are asserted to the millisecond). */
class StillClock extends Clock {
  private ms = Date.UTC(2026, 0, 1);
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

type Line = { level: string; msg: string; refusal: string; count: number };
const lines: Line[] = [];
const capture = (level: string) => (message: unknown) =>
  lines.push({ level, ...(message as Omit<Line, 'level'>) });
const logger: LoggerService = {
  log: capture('info'),
  warn: capture('warn'),
  error: capture('error'),
  debug: capture('debug'),
  verbose: capture('verbose'),
};

let clock: StillClock;
let throttle: LogThrottle;
beforeEach(() => {
  Logger.overrideLogger(logger);
  clock = new StillClock();
  throttle = new LogThrottle(clock);
});
afterEach(() => {
  lines.length = 0;
  Logger.overrideLogger(false);
});

const refuse = (n: number, cause = 'DATABASE_UNAVAILABLE', from = 1) => {
  for (let i = from; i < from + n; i += 1)
    throttle.note(cause, `${cause}: POST /v1/bindings [r-${i}] answered 503`, `r-${i}`);
};

describe('the refusal log throttle', () => {
  it('writes the first refusal of a cause at once and the rest of its interval as one line with the count', () => {
    refuse(412);
    expect(lines).toEqual([
      {
        level: 'warn',
        msg: 'DATABASE_UNAVAILABLE: POST /v1/bindings [r-1] answered 503',
        refusal: 'DATABASE_UNAVAILABLE',
        count: 1,
      },
    ]);
    clock.advance(LOG_THROTTLE_INTERVAL_MS - 1);
    throttle.flushDue();
    expect(lines).toHaveLength(1);
    clock.advance(1);
    throttle.flushDue();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'warn', refusal: 'DATABASE_UNAVAILABLE', count: 412 });
    expect(lines[1]!.msg).toBe(
      'DATABASE_UNAVAILABLE ×412 in the last 10 s, last request id r-412: ' +
        'DATABASE_UNAVAILABLE: POST /v1/bindings [r-412] answered 503',
    );
  });

  it('keeps one line per interval while a cause goes on, and starts afresh after a quiet one', () => {
    refuse(30);
    clock.advance(LOG_THROTTLE_INTERVAL_MS);
    refuse(50, 'DATABASE_UNAVAILABLE', 31);
    clock.advance(LOG_THROTTLE_INTERVAL_MS);
    throttle.flushDue();
    expect(lines.map((l) => l.count)).toEqual([1, 30, 50]);
    // A quiet interval: nothing to sum up, the cause is forgotten…
    clock.advance(LOG_THROTTLE_INTERVAL_MS);
    throttle.flushDue();
    expect(lines).toHaveLength(3);
    // …so its next occurrence is written at once again.
    refuse(1, 'DATABASE_UNAVAILABLE', 81);
    expect(lines.at(-1)).toMatchObject({ count: 1, msg: expect.stringContaining('[r-81]') });
  });

  it('counts each cause on its own, and writes what is counted at shutdown', () => {
    refuse(5, 'RATE_LIMITED');
    refuse(3, 'NUMBERS_EXHAUSTED');
    refuse(1, 'PROVIDER_OUTCOME_UNKNOWN');
    expect(lines.map((l) => l.refusal)).toEqual([
      'RATE_LIMITED',
      'NUMBERS_EXHAUSTED',
      'PROVIDER_OUTCOME_UNKNOWN',
    ]);
    throttle.onModuleDestroy();
    expect(lines.slice(3).map((l) => [l.refusal, l.count])).toEqual([
      ['RATE_LIMITED', 5],
      ['NUMBERS_EXHAUSTED', 3],
    ]);
  });
});
