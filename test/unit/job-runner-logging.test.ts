import { Logger, type LoggerService } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/common/clock/clock.js';
import type { MetricsService } from '../../src/metrics/metrics.service.js';
import { JobRunner } from '../../src/scheduler/job-runner.js';
import type { JobCounts, ScheduledJob } from '../../src/scheduler/scheduled-job.js';

const lines: Array<{ level: string; message: string }> = [];
const capture = (level: string) => (message: unknown) =>
  lines.push({ level, message: String(message) });
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
    const runner = new JobRunner(metrics, new SystemClock());
    await runner.run(job({ expired: 0, batches: 2, active: 0 }));
    await runner.run(job({ found: 0, active: 0 }));
    await runner.run(job({ expired: 3, batches: 2, active: 3 }));
    expect(lines.map((l) => l.level)).toEqual(['debug', 'debug', 'info']);
    expect(lines[2]!.message).toContain('expired=3');
  });
});
