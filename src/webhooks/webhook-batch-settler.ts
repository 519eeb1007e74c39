import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { LingeringGroupCommit } from '../common/async/lingering-group-commit.js';
import { Clock } from '../common/clock/clock.js';
import { inTransaction } from '../prisma/transaction.js';
import { WebhookDatabase } from './webhook-database.js';
import { WebhookDeliveriesRepository, type NewDelivery } from './webhook-deliveries.repository.js';
import type { Settlement } from './webhook-delivery.worker.js';
import { WebhookQueue, type BatchDeliveryJob, type DeliveryJobInsert } from './webhook-queue.js';
import { logSettlements, writeSettlements } from './webhook-settlements.js';

/** How long the first batch to end waits for the others fetched with it before writing. */
const LINGER_MS = 5;

/** What one batch job left to write when its tries were over. */
export interface BatchOutcome {
  job: Job<BatchDeliveryJob>;
  /** Deliveries not stored yet, inserted as their first try left them (or handed on). */
  created?: readonly NewDelivery[];
  settled: readonly Settlement[];
  /** Deliveries handed to jobs of their own, each holding its binding's key. */
  handOffs: ReadonlyArray<{ job: DeliveryJobInsert; orderKey: string }>;
}

/**
 * Writes what batch jobs left, the batches that end together in one transaction (group commit,
 * as WebhookSettler does for single jobs): the tries recorded, the hand-offs' jobs inserted and
 * their keys held, and the batch jobs completed, fenced to their claims. An endpoint's batches
 * run one after another and each pass makes one per endpoint, so with several endpoints their
 * batches end within milliseconds of each other, and each wrote the same four statements alone.
 * A batch that ends later is not waited for: it goes in the next write (one slow receiver never
 * holds back another's settlement). When a claim has lapsed (pg-boss counted the process gone
 * and will run that batch again), the group is rolled back and each batch written on its own,
 * so only the lapsed one is left to its next run.
 */
@Injectable()
export class WebhookBatchSettler {
  private readonly logger = new Logger(WebhookBatchSettler.name);
  // (the batches fetched together end within ms of each other; a group that fails is written
  // again batch by batch, so only the batch whose claim lapsed is refused)
  private readonly group = new LingeringGroupCommit<BatchOutcome>(
    (outcomes) => this.write(outcomes),
    LINGER_MS,
    { alone: true },
  );

  constructor(
    private readonly clock: Clock,
    private readonly db: WebhookDatabase,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly queue: WebhookQueue,
  ) {}

  /** Resolves once the batch's outcome is committed; rejects when its claim lapsed. */
  settle(outcome: BatchOutcome): Promise<void> {
    return this.group.submit(outcome);
  }

  private async write(outcomes: readonly BatchOutcome[]): Promise<void> {
    const now = this.clock.now();
    const settled = outcomes.flatMap((o) => o.settled);
    const handOffs = outcomes.flatMap((o) => o.handOffs);
    await this.db.withClient((client) =>
      inTransaction(client, async () => {
        // First: the hand-offs' keys and their attempt rows refer to them.
        await this.deliveries.insertSettled(
          client,
          outcomes.flatMap((o) => o.created ?? []),
        );
        await writeSettlements(this.deliveries, settled, now, client);
        await this.deliveries.hold(
          client,
          handOffs.map((h) => ({
            deliveryId: h.job.deliveryId,
            endpointId: h.job.endpointId,
            orderKey: h.orderKey,
          })),
        );
        await this.queue.insert(
          client,
          handOffs.map((h) => h.job),
        );
        const jobs = outcomes.map((o) => o.job);
        if (!(await this.queue.completeIn(client, jobs)))
          throw new Error(
            `batch ${jobs.map((j) => j.id).join(', ')}: claimed again meanwhile (not settled here)`,
          );
      }),
    );
    logSettlements(this.logger, settled);
    for (const o of outcomes)
      for (const d of o.created ?? [])
        if (d.status === 'dead' && d.tried && d.tried.result.statusCode !== 410)
          this.logger.warn(`Delivery ${d.id} is dead after its last try`);
  }
}
