import { Inject, Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ReconciliationRepository } from './reconciliation.repository.js';

/**
 * The reconciliation backlog as Prometheus gauges, read from the database at scrape time (the
 * same query as GET /v1/admin/operations, across all instances): how many bindings wait, by what
 * waits on them, how many are due now, and how long the oldest has waited.
 */
@Injectable()
export class ReconciliationMetrics {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
    clock: Clock,
    repository: ReconciliationRepository,
  ) {
    const graceMs = config.scheduler.reconcile.graceSeconds * 1000;
    let last: Promise<Awaited<ReturnType<ReconciliationRepository['backlog']>>> | undefined;
    // One read per scrape for all three gauges (each gauge's collect() asks for it).
    const backlog = () => {
      last ??= (async () => {
        const now = clock.now();
        try {
          return await repository.backlog(now, new Date(now.getTime() - graceMs));
        } finally {
          setImmediate(() => (last = undefined));
        }
      })();
      return last;
    };
    new Gauge({
      name: 'axb_reconcile_awaiting',
      help: 'Bindings awaiting reconciliation, by what waits: bind (pending/unknown), unbind, provider-check',
      labelNames: ['kind'] as const,
      registers: [metrics.registry],
      async collect() {
        const b = await backlog();
        this.set({ kind: 'bind' }, b.binds);
        this.set({ kind: 'unbind' }, b.unbinds);
        this.set({ kind: 'provider-check' }, b.providerChecks);
      },
    });
    new Gauge({
      name: 'axb_reconcile_due',
      help: 'Bindings awaiting reconciliation that the next run takes up (not waiting out a backoff)',
      registers: [metrics.registry],
      async collect() {
        this.set((await backlog()).due);
      },
    });
    new Gauge({
      name: 'axb_reconcile_oldest_age_seconds',
      help: 'How long the longest-waiting binding has awaited reconciliation (0 when none waits)',
      registers: [metrics.registry],
      async collect() {
        const since = (await backlog()).oldestSince;
        this.set(since ? Math.max(0, (clock.now().getTime() - since.getTime()) / 1000) : 0);
      },
    });
  }
}
