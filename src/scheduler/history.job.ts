import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { HistoryPartitionsRepository } from '../history/history-partitions.repository.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { JobCounts, ScheduledJob } from './scheduled-job.js';

/**
 * Keeps the record's month partitions: HISTORY_PARTITIONS_AHEAD_MONTHS made ahead, months older
 * than HISTORY_RETENTION_DAYS detached and dropped, never a month with a binding not over (it is
 * kept, warned about and counted). One instance at a time (a session advisory lock).
 */
@Injectable()
export class HistoryJob implements ScheduledJob {
  readonly name = 'history' as const;
  private readonly logger = new Logger(HistoryJob.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly partitions: HistoryPartitionsRepository,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<JobCounts> {
    const { aheadMonths, retentionDays } = this.config.scheduler.history;
    const pass = await this.partitions.pass(
      this.clock.now(),
      aheadMonths,
      retentionDays,
      ({ month, reason, orders }) => {
        const why =
          reason === 'live'
            ? 'bindings not over'
            : 'bindings made before partitioning, not past retention by their own times';
        this.logger.warn(
          `history: month ${month} is past retention but kept: ${why} (orders ${orders.join(', ')})`,
        );
        this.metrics.historyMonthsKept.inc();
      },
    );
    if (pass === null) return { busy: 1 };
    if (pass.dropDeferred > 0) {
      this.logger.warn(
        `history: ${pass.dropDeferred} month(s) past retention not dropped yet: a table's lock was not had in time (the next pass goes on)`,
      );
    }
    this.metrics.historyOutsidePartitions.set(pass.outsidePartitions);
    if (pass.movedFromDefault > 0) this.metrics.historyMovedFromDefault.inc(pass.movedFromDefault);
    return { ...pass };
  }
}
