import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { WebhookBatchDelivery } from './webhook-delivery.batch.js';
import {
  WebhookDeliveriesRepository,
  type DeliveryInHand,
} from './webhook-deliveries.repository.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import {
  isBatchJob,
  WebhookQueue,
  type BatchDeliveryJob,
  type DeliveryJob,
  type SingleDeliveryJob,
} from './webhook-queue.js';
import { WebhookSettler } from './webhook-settler.js';

/** Jobs claimed per fetch at most (fewer when fewer tries may start). */
const FETCH_MAX = 100;
/** After a failed fetch (database down), the next waits this much longer than the poll. */
const ERROR_PAUSE_MS = 1000;

/**
 * Keeps up to WEBHOOKS_CONCURRENCY jobs under way on this instance: batch jobs (a dispatch pass's
 * first tries to one endpoint, WebhookBatchDelivery) and single deliveries' jobs (retries, test
 * events, replays). It claims jobs in batches
 * (one pg-boss fetch, then one read of their deliveries), starts each try at once and does not
 * wait for a batch to finish before claiming more: a slow receiver holds only its own tries (at
 * most WEBHOOKS_ENDPOINT_CONCURRENCY, across instances, by pg-boss's group concurrency), never a
 * batch of other receivers' events. It fetches again as soon as a single delivery's try is
 * settled (its key may have its next event waiting) or the dispatcher made jobs, else every
 * WEBHOOKS_POLL_INTERVAL_MS (a retry come due; jobs another instance dispatched). A batch job
 * that ends fetches again only when a fetch may find something it could not before: the batch
 * handed deliveries to jobs of their own, or a later batch of its endpoint is waiting behind it
 * (this instance's dispatcher made one that has not ended yet; a batch another instance made:
 * always). Every batch's end fetched before (one per endpoint and pass) and mostly found nothing,
 * and pg-boss's strict-FIFO fetch, which reads every waiting job's key, was a fifth of the
 * delivery sessions' time. With several instances, a batch made by one and held behind another's
 * is found by the next wake or poll.
 */
@Injectable()
export class WebhookDeliveryPump {
  private readonly logger = new Logger(WebhookDeliveryPump.name);
  private readonly tries = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  /** Batch jobs this instance's dispatcher made that have not ended here, by endpoint. */
  private readonly batchesMade = new Map<string, number>();
  private failures = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly queue: WebhookQueue,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly worker: WebhookDeliveryWorker,
    private readonly settler: WebhookSettler,
    private readonly batches: WebhookBatchDelivery,
  ) {}

  start(): void {
    if (this.stopped) return;
    this.loop ??= this.run();
  }

  /** Jobs were made (batch jobs for these endpoints): look for them now, not at the next poll. */
  wake(batchEndpoints: readonly string[] = []): void {
    for (const e of batchEndpoints) this.batchesMade.set(e, (this.batchesMade.get(e) ?? 0) + 1);
    this.lookNow();
  }

  /** A batch of `endpoint` ended: whether a later one of it may be waiting. */
  private batchEnded(endpoint: string | null | undefined): boolean {
    const made = endpoint ? this.batchesMade.get(endpoint) : undefined;
    // Made elsewhere (another instance, before a restart): nothing known of what follows it.
    if (made === undefined) return true;
    if (made > 1) this.batchesMade.set(endpoint!, made - 1);
    else this.batchesMade.delete(endpoint!);
    return made > 1;
  }

  private lookNow(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** No new try; waits for the tries under way (each bounded by WEBHOOKS_TIMEOUT_MS) to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.lookNow();
    await this.loop;
    await Promise.allSettled([...this.tries]);
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.config.webhooks;
    while (!this.stopped) {
      const room = concurrency - this.tries.size;
      let pause = pollIntervalMs;
      this.woken = false;
      if (room > 0) {
        try {
          const jobs = await this.queue.fetch(Math.min(room, FETCH_MAX));
          if (jobs.length > 0) await this.begin(jobs);
          this.failures = 0;
          // A full batch: there may be more waiting.
          if (jobs.length === Math.min(room, FETCH_MAX)) continue;
        } catch (error) {
          if (this.failures++ === 0)
            this.logger.warn(`Fetching webhook deliveries failed (will retry): ${String(error)}`);
          pause += ERROR_PAUSE_MS;
        }
      }
      await this.idle(pause);
    }
  }

  private async begin(all: ReadonlyArray<Job<DeliveryJob>>): Promise<void> {
    const jobs: Array<Job<SingleDeliveryJob>> = [];
    const batches: Array<Job<BatchDeliveryJob>> = [];
    for (const job of all)
      if (isBatchJob(job)) batches.push(job);
      else jobs.push(job as Job<SingleDeliveryJob>);
    if (batches.length > 0) {
      const runs = this.batches.start(batches);
      for (const [i, job] of batches.entries()) {
        let handedOff = false;
        const run = this.guard(job, async () => {
          handedOff = await runs[i]!;
        });
        this.track(run, () => this.batchEnded(job.groupId) || handedOff);
      }
    }
    if (jobs.length === 0) return;
    let inHand: Map<string, DeliveryInHand>;
    try {
      inHand = await this.deliveries.inHand(jobs.map((j) => j.data.deliveryId));
    } catch (error) {
      // Claimed but not started: given back to be tried again (or, with the database gone,
      // failed by pg-boss's supervisor once they expire).
      await Promise.allSettled(jobs.map((j) => this.queue.fail(j, String(error))));
      throw error;
    }
    for (const job of jobs) this.track(this.try(job, inHand.get(job.data.deliveryId)));
  }

  /**
   * Keeps `work` among the tries under way; when it ends, fetches again if `mayUnblock` says a
   * fetch may find something (by default always), or this instance had no room for more.
   */
  private track(work: Promise<void>, mayUnblock: () => boolean = () => true): void {
    const t = work.finally(() => {
      const wasFull = this.tries.size >= this.config.webhooks.concurrency;
      this.tries.delete(t);
      const unblocks = mayUnblock();
      if (wasFull || unblocks) this.lookNow();
    });
    this.tries.add(t);
  }

  private async try(job: Job<SingleDeliveryJob>, d: DeliveryInHand | undefined): Promise<void> {
    // Handed over by its batch after a failed try: on its first run it only waits for the
    // schedule, in pg-boss's retry state (which holds its key: nothing later of the binding
    // passes it).
    const { notBefore } = job.data;
    const wait =
      notBefore && job.retryCount === 0 ? Date.parse(notBefore) - this.clock.now().getTime() : 0;
    if (wait > 0)
      return this.guard(job, () => this.queue.retryLater(job, wait, 'waiting for its next try'));
    return this.guard(job, async () => this.settler.settle(job, await this.worker.attempt(d)));
  }

  private async guard(job: Job<DeliveryJob>, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      // pg-boss tries the job again after the schedule's first wait; a try that reached the
      // receiver before this is sent again, with the same webhook-id.
      const what = isBatchJob(job)
        ? `Batch ${job.id}`
        : `Delivery ${(job.data as SingleDeliveryJob).deliveryId}`;
      this.logger.error(`${what} failed: ${String(error)}`);
      await this.queue.fail(job, String(error)).catch(() => undefined);
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.woken || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
