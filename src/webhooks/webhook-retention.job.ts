import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { JobCounts, ScheduledJob } from '../scheduler/scheduled-job.js';
import { WebhookRetentionRepository } from './webhook-retention.repository.js';

/** Events looked at per batch, and batches per pass (the next pass goes on). */
const BATCH = 1000;
const MAX_BATCHES = 200;
const DAY_MS = 86_400_000;

/**
 * The outbox's retention (a scheduler job, hourly): deliveries settled more than
 * WEBHOOK_RETENTION_DAYS ago — delivered, or dead (replayable until then) — and their events are
 * deleted; a pending delivery and its event are never. One instance at a time.
 */
@Injectable()
export class WebhookRetentionJob implements ScheduledJob {
  readonly name = 'webhook-retention' as const;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly retention: WebhookRetentionRepository,
    private readonly clock: Clock,
  ) {}

  async run(stopping?: AbortSignal): Promise<JobCounts> {
    const cutoff = new Date(
      this.clock.now().getTime() - this.config.webhooks.retentionDays * DAY_MS,
    );
    const counts = await this.retention.prune(cutoff, BATCH, MAX_BATCHES, stopping);
    return counts === null ? { busy: 1 } : { ...counts };
  }
}
