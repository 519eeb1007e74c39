import type { AppConfig } from '../config/app-config.js';

/** The jobs the scheduler runs; also their names in logs and the admin endpoint. */
export const JOB_NAMES = [
  'expiry',
  'reconcile',
  'contact-window',
  'replenish',
  'history',
  'privacy-aging',
  'webhook-retention',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** A job's configured interval, ms (0: not scheduled). */
export function jobIntervalMs(config: AppConfig, job: JobName): number {
  const { scheduler } = config;
  const intervals: Record<JobName, number> = {
    expiry: scheduler.expiry.intervalMs,
    reconcile: scheduler.reconcile.intervalMs,
    'contact-window': scheduler.contactWindows.intervalMs,
    replenish: scheduler.replenish.intervalMs,
    history: scheduler.history.intervalMs,
    'privacy-aging': config.privacy.agingIntervalMs,
    'webhook-retention': config.webhooks.retentionIntervalMs,
  };
  return intervals[job];
}

/** The actor of the events the jobs write. */
export const SCHEDULER_ACTOR = 'scheduler';

/** What one run did, as counts (logged on one line, returned by the admin endpoint). */
export type JobCounts = Record<string, number>;

/**
 * One periodic job: `run` does one pass and throws when the pass failed. A pass stops early, at a
 * point where stopping loses nothing, once `stopping` is aborted (shutdown).
 */
export interface ScheduledJob {
  readonly name: JobName;
  run(stopping?: AbortSignal): Promise<JobCounts>;
}

/** The jobs, injectable as one list (the runner and the registration look them up by name). */
export const SCHEDULED_JOBS = Symbol('SCHEDULED_JOBS');

/** The outcome of a guarded run. */
export type JobReport =
  /** `idle`: the pass found nothing to do (every count zero but those of its own statements). */
  | { job: JobName; status: 'done'; counts: JobCounts; idle: boolean; ms: number }
  | { job: JobName; status: 'failed'; error: string; ms: number }
  /** This instance was still running the previous pass of the job. */
  | { job: JobName; status: 'skipped' };
