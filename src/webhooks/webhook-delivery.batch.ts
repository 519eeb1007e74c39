import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { inTransaction } from '../prisma/transaction.js';
import { orderedUuid } from './ordered-uuid.js';
import { WebhookDatabase } from './webhook-database.js';
import {
  WebhookDeliveriesRepository,
  type BatchDeliveryInHand,
} from './webhook-deliveries.repository.js';
import { WebhookDeliveryWorker, type Settlement } from './webhook-delivery.worker.js';
import { WebhookQueue, type BatchDeliveryJob, type DeliveryJobInsert } from './webhook-queue.js';
import { logSettlements, writeSettlements } from './webhook-settlements.js';

/** A delivery the batch leaves to a job of its own. */
interface HandOff {
  d: BatchDeliveryInHand;
  /** Its try failed: the next is not made before this. */
  notBefore?: Date;
}

/**
 * The first tries of one dispatch pass's deliveries to one endpoint, under one pg-boss job (the
 * batch job; an endpoint's run one at a time, in dispatch order). A binding's deliveries are tried
 * one after the other, in order; different bindings' side by side, up to
 * WEBHOOKS_ENDPOINT_CONCURRENCY. A delivery whose try failed (no 2xx), and every later one of its
 * binding, is handed to a pg-boss job of its own (key `<endpoint>:<binding>`, strict FIFO): the
 * retry schedule is pg-boss's as before. So is a delivery whose binding already has one waiting
 * there (webhook_queued_deliveries), and, once a try has failed or WEBHOOKS_TIMEOUT_MS has passed,
 * every delivery not yet tried (a receiver that is down costs one timeout, not one per event).
 *
 * Everything is written at the end in one transaction: the tries, the hand-offs (their jobs and
 * their keys held) and the batch job's completion, fenced to this claim. A process that dies
 * before it leaves the batch job active: pg-boss counts it gone after its expiry and runs it
 * again, and the deliveries are sent again with the same webhook-id (at least once).
 */
@Injectable()
export class WebhookBatchDelivery {
  private readonly logger = new Logger(WebhookBatchDelivery.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly db: WebhookDatabase,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly worker: WebhookDeliveryWorker,
    private readonly queue: WebhookQueue,
  ) {}

  async run(job: Job<BatchDeliveryJob>): Promise<void> {
    const { timeoutMs, endpointConcurrency } = this.config.webhooks;
    const startBy = performance.now() + timeoutMs;
    const chains = new Map<string, BatchDeliveryInHand[]>();
    for (const d of await this.inOrder(job.data.batch)) {
      const chain = chains.get(d.orderKey);
      if (chain) chain.push(d);
      else chains.set(d.orderKey, [d]);
    }
    const settled: Settlement[] = [];
    const handOffs: HandOff[] = [];
    let stopped = false;
    const runChain = async (chain: readonly BatchDeliveryInHand[]) => {
      let held = false;
      for (const d of chain) {
        if (d.status !== 'pending') continue;
        if (held || d.held || stopped || performance.now() > startBy) {
          held = true;
          handOffs.push({ d });
          continue;
        }
        const s = await this.worker.attempt(d);
        settled.push(s);
        if (s.retry) {
          held = true;
          stopped = true;
          handOffs.push({ d, notBefore: s.record?.nextAttemptAt ?? undefined });
        } else if (s.disableEndpoint) stopped = true;
      }
    };
    const waiting = [...chains.values()];
    await Promise.all(
      Array.from({ length: Math.min(endpointConcurrency, waiting.length) }, async () => {
        for (let c = waiting.shift(); c; c = waiting.shift()) await runChain(c);
      }),
    );
    await this.settle(job, settled, handOffs);
  }

  /** The batch's deliveries in its order (the dispatcher's: each binding's events in order). */
  private async inOrder(ids: readonly string[]): Promise<BatchDeliveryInHand[]> {
    const position = new Map(ids.map((id, i) => [id, i]));
    const rows = await this.deliveries.batchInHand(ids);
    return rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  }

  private async settle(
    job: Job<BatchDeliveryJob>,
    settled: readonly Settlement[],
    handOffs: readonly HandOff[],
  ): Promise<void> {
    const now = this.clock.now();
    const jobs: DeliveryJobInsert[] = handOffs.map(({ d, notBefore }) => ({
      id: orderedUuid(),
      deliveryId: d.id,
      endpointId: d.endpointId,
      orderKey: `${d.endpointId}:${d.orderKey}`,
      notBefore,
    }));
    await this.db.withClient((client) =>
      inTransaction(client, async () => {
        await writeSettlements(this.deliveries, settled, now, client);
        await this.deliveries.hold(
          client,
          handOffs.map(({ d }) => ({
            deliveryId: d.id,
            endpointId: d.endpointId,
            orderKey: d.orderKey,
          })),
        );
        await this.queue.insert(client, jobs);
        if (!(await this.queue.completeIn(client, job)))
          throw new Error(`batch ${job.id} was claimed again meanwhile`);
      }),
    );
    logSettlements(this.logger, settled);
  }
}
