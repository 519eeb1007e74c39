import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CallStatusGateway } from '../routing/call-status.gateway.js';
import { JobRunner } from '../scheduler/job-runner.js';
import { ReconciliationRepository } from '../scheduler/reconciliation.repository.js';
import { JOB_NAMES, jobIntervalMs } from '../scheduler/scheduled-job.js';
import type { OperationsView } from './operations.view.js';

/**
 * One read of what operations watch: the scheduler's last runs (this instance), the bindings
 * awaiting reconciliation (all instances, from the database), and the provider's circuit as
 * readiness reports it.
 */
@Injectable()
export class OperationsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly runner: JobRunner,
    private readonly reconciliation: ReconciliationRepository,
    private readonly callStatus: CallStatusGateway,
  ) {}

  async overview(): Promise<OperationsView> {
    const now = this.clock.now();
    const { scheduler } = this.config;
    const graceSeconds = scheduler.reconcile.graceSeconds;
    const backlog = await this.reconciliation.backlog(
      now,
      new Date(now.getTime() - graceSeconds * 1000),
    );
    const runs = new Map(this.runner.lastRuns().map((r) => [r.job, r]));
    return {
      at: now.toISOString(),
      jobs: JOB_NAMES.map((job) => {
        const intervalMs = jobIntervalMs(this.config, job);
        const run = runs.get(job);
        const last = run?.last;
        return {
          job,
          scheduled: scheduler.enabled && intervalMs > 0,
          intervalMs,
          running: run?.running ?? false,
          last: last
            ? {
                status: last.status,
                ...(last.status === 'done'
                  ? { counts: last.counts, idle: last.idle }
                  : { error: last.error }),
                ms: last.ms,
                finishedAt: last.finishedAt.toISOString(),
              }
            : null,
        };
      }),
      reconciliation: {
        awaiting: backlog.awaiting,
        oldestSince: backlog.oldestSince?.toISOString() ?? null,
        oldestAgeSeconds: backlog.oldestSince
          ? Math.max(0, Math.round((now.getTime() - backlog.oldestSince.getTime()) / 1000))
          : null,
        due: backlog.due,
        binds: backlog.binds,
        unbinds: backlog.unbinds,
        providerChecks: backlog.providerChecks,
        maxAttempts: backlog.maxAttempts,
        graceSeconds,
      },
      provider: { circuit: this.callStatus.breakerState },
    };
  }
}
