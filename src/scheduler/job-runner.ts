import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable.js';
import { LogThrottle } from '../logging/log-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { JobName, JobReport, ScheduledJob } from './scheduled-job.js';

/** A finished run as operations see it (this instance's runs only). */
export type LastRun = Exclude<JobReport, { status: 'skipped' }> & { finishedAt: Date };

/** Counts that measure the pass itself (statements run), not work done. */
const BOOKKEEPING = new Set(['batches']);

/**
 * Runs jobs so that a pass never overlaps the previous pass of the same job in this instance
 * (a slow sweep must not pile up behind the timer), a failing pass is logged and does not stop
 * the next one, and every pass logs one line with its counts (at debug when it did nothing).
 * Instances coordinate through the database (row locks, advisory locks), not here.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger(JobRunner.name);
  private readonly running = new Map<string, Promise<JobReport>>();
  private readonly last = new Map<JobName, LastRun>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    private readonly refusals: LogThrottle,
  ) {}

  run(job: ScheduledJob): Promise<JobReport> {
    if (this.stopping.signal.aborted) return Promise.resolve({ job: job.name, status: 'skipped' });
    if (this.running.has(job.name)) {
      this.logger.log(`${job.name}: skipped, the previous run is still going`);
      return Promise.resolve({ job: job.name, status: 'skipped' });
    }
    const pass = this.guarded(job)
      .then((report) => {
        if (report.status !== 'skipped')
          this.last.set(job.name, { ...report, finishedAt: this.clock.now() });
        return report;
      })
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, pass);
    return pass;
  }

  /** The last finished run of each job in this instance, and whether one is going now. */
  lastRuns(): Array<{ job: JobName; running: boolean; last: LastRun | null }> {
    const names = new Set<JobName>([
      ...this.last.keys(),
      ...(this.running.keys() as Iterable<JobName>),
    ]);
    return [...names].map((job) => ({
      job,
      running: this.running.has(job),
      last: this.last.get(job) ?? null,
    }));
  }

  /**
   * Shutdown: passes under way stop at their next safe point (between bindings, between batches)
   * and are waited for, before the database closes; no new pass starts.
   */
  async drain(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private async guarded(job: ScheduledJob): Promise<JobReport> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const counts = await job.run(this.stopping.signal);
      const ms = elapsed();
      const shown = Object.entries(counts)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      // A pass that found nothing to do is routine: debug, not every 10 s at info. (The one
      // definition of it: the console shows it too, from the report.)
      const idle = Object.entries(counts).every(([k, v]) => v === 0 || BOOKKEEPING.has(k));
      if (idle) this.logger.debug(`${job.name}: nothing to do (${shown}) in ${ms} ms`);
      else this.logger.log(`${job.name}: ${shown} in ${ms} ms`);
      this.metrics.observeJob(job.name, 'ok', ms / 1000);
      return { job: job.name, status: 'done', counts, idle, ms };
    } catch (error) {
      const ms = elapsed();
      const message = error instanceof Error ? error.message : String(error);
      const line = `${job.name}: run failed after ${ms} ms: ${message}`;
      // The database away is a designed refusal (warn, once per interval); anything else is not.
      if (isDatabaseUnavailable(error))
        this.refusals.note(`${job.name} DATABASE_UNAVAILABLE`, line);
      else this.logger.error(line);
      this.metrics.observeJob(job.name, 'failed', ms / 1000);
      return { job: job.name, status: 'failed', error: message, ms };
    }
  }
}
