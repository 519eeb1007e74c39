import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { LingeringGroupCommit } from '../common/async/lingering-group-commit.js';
import { Clock } from '../common/clock/clock.js';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository.js';
import type { Settlement } from './webhook-delivery.worker.js';
import { WebhookQueue, type SingleDeliveryJob } from './webhook-queue.js';
import { logSettlements, writeSettlements } from './webhook-settlements.js';

/** How long the first settlement waits for others before a batch is written. */
const LINGER_MS = 5;

interface Tried {
  job: Job<SingleDeliveryJob>;
  settlement: Settlement;
}

/**
 * Writes what tries left, in batches (group commit): the first settlement waits LINGER_MS for
 * the rest of its claimed batch, and while one batch is being written, the settlements that
 * arrive wait and go together in the next. A batch is a few statements however
 * many tries it holds: the tries recorded (one INSERT … SELECT over arrays), then their pg-boss
 * jobs completed (one statement); only a retry costs a statement of its own. A job is settled
 * after its try is recorded: a crash in between runs the job again, and it finds the delivery
 * settled and sends nothing.
 */
@Injectable()
export class WebhookSettler {
  private readonly logger = new Logger(WebhookSettler.name);
  private readonly group = new LingeringGroupCommit<Tried>((batch) => this.write(batch), LINGER_MS);

  constructor(
    private readonly clock: Clock,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly queue: WebhookQueue,
  ) {}

  /** Resolves once the settlement is written (its batch's statements all succeeded). */
  settle(job: Job<SingleDeliveryJob>, settlement: Settlement): Promise<void> {
    return this.group.submit({ job, settlement });
  }

  private async write(batch: readonly Tried[]): Promise<void> {
    const now = this.clock.now();
    const settled = batch.map((w) => w.settlement);
    await writeSettlements(this.deliveries, settled, now);
    logSettlements(this.logger, settled);
    await this.queue.complete(batch.filter((w) => !w.settlement.retry).map((w) => w.job));
    await Promise.all(
      batch.flatMap(({ job, settlement: { retry } }) =>
        retry ? [this.queue.retryLater(job, retry.delayMs, retry.reason)] : [],
      ),
    );
  }
}
