import { Logger, type LoggerService } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/common/clock/clock.js';
import { LogThrottle } from '../../src/logging/log-throttle.js';
import type { MetricsService } from '../../src/metrics/metrics.service.js';
import { JobRunner } from '../../src/scheduler/job-runner.js';
import type { JobCounts, ScheduledJob } from '../../src/scheduler/scheduled-job.js';
import { TestClock } from '../support/test-clock.js';

const lines: Array<{ level: string; message: string }> = [];
// The refusal throttle writes `{ msg, refusal, count }` objects; other lines are text.
const capture = (level: string) => (message: unknown) =>
  lines.push({
    level,
    message:
      typeof message === 'object' ? String((message as { msg: string }).msg) : String(message),
  });
const logger: LoggerService = {
  log: capture('info'),
  warn: capture('warn'),
  error: capture('error'),
  debug: capture('debug'),
  verbose: capture('verbose'),
};
const metrics = { observeJob: () => undefined } as unknown as MetricsService;
const job = (counts: JobCounts): ScheduledJob => ({ name: 'expiry', run: async () => counts });

afterEach(() => {
  lines.length = 0;
  Logger.overrideLogger(false);
});

describe('job runner log lines', () => {
  it('logs a pass that did nothing at debug, one that did something at info', async () => {
    Logger.overrideLogger(logger);
    const clock = new SystemClock();
    const runner = new JobRunner(metrics, clock, new LogThrottle(clock));
    await runner.run(job({ expired: 0, batches: 2, active: 0 }));
    await runner.run(job({ found: 0, active: 0 }));
    await runner.run(job({ expired: 3, batches: 2, active: 3 }));
    expect(lines.map((l) => l.level)).toEqual(['debug', 'debug', 'info']);
    expect(lines[2]!.message).toContain('expired=3');
  });

  it('logs a pass the database refused at warn once per interval, any other failure at error each', async () => {
    Logger.overrideLogger(logger);
    const clock = new TestClock();
    const runner = new JobRunner(metrics, clock, new LogThrottle(clock));
    const failing = (error: Error): ScheduledJob => ({
      name: 'expiry',
      run: async () => {
        throw error;
      },
    });
    for (let i = 0; i < 5; i += 1) await runner.run(failing(new Error('Query read timeout')));
    await runner.run(failing(new Error('a bug')));
    await runner.run(failing(new Error('a bug')));
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error', 'error']);
    clock.advance(10_000);
    await runner.run(failing(new Error('Connection terminated unexpectedly')));
    expect(lines.at(-1)).toMatchObject({ level: 'warn' });
    expect(lines.at(-1)!.message).toContain('expiry DATABASE_UNAVAILABLE ×5 in the last 10 s');
  });
});
