import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { orderedUuid } from './ordered-uuid.js';
import { WebhookBatchSettler } from './webhook-batch-settler.js';
import { Clock } from '../common/clock/clock.js';
import {
  WebhookDeliveriesRepository,
  type BatchDeliveryInHand,
  type NewDelivery,
} from './webhook-deliveries.repository.js';
import { WebhookDeliveryWorker, webhookBody, type Settlement } from './webhook-delivery.worker.js';
import type { BatchDeliveryJob } from './webhook-queue.js';

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
 * The batches fetched together read their deliveries in one query. Everything a batch did is
 * written at its end in one transaction (WebhookBatchSettler, with the other batches that end
 * then): the tries, the hand-offs (their jobs and their keys held) and the batch job's completion,
 * fenced to this claim. A process that dies before it leaves the batch job active: pg-boss counts
 * it gone after its expiry and runs it again, and the deliveries are sent again with the same
 * webhook-id (at least once).
 */
@Injectable()
export class WebhookBatchDelivery {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly worker: WebhookDeliveryWorker,
    private readonly settler: WebhookBatchSettler,
  ) {}

  /**
   * Runs batch jobs fetched together, each on its own (a slow receiver's batch holds back no
   * other), after one read of all their deliveries. Each promise settles when its batch is
   * written, true when it handed deliveries to jobs of their own (a fetch may find them).
   */
  start(jobs: ReadonlyArray<Job<BatchDeliveryJob>>): Array<Promise<boolean>> {
    const read = this.deliveries
      .batchInHand(
        jobs.map((j) => ({
          deliveryIds: j.data.batch,
          events: j.data.events,
          endpointId: j.data.endpoint,
          at: j.data.at,
        })),
      )
      .then(withBodies);
    // A failed read fails every batch (each through its own promise); none is left unobserved.
    read.catch(() => undefined);
    return jobs.map(async (job) => this.run(job, await read));
  }

  private async run(
    job: Job<BatchDeliveryJob>,
    read: readonly BatchDeliveryInHand[],
  ): Promise<boolean> {
    const { timeoutMs, endpointConcurrency } = this.config.webhooks;
    const startBy = performance.now() + timeoutMs;
    const chains = new Map<string, BatchDeliveryInHand[]>();
    const mine = inOrder(job.data.batch, read);
    for (const d of mine) {
      const chain = chains.get(d.orderKey);
      if (chain) chain.push(d);
      else chains.set(d.orderKey, [d]);
    }
    const settled: Settlement[] = [];
    const handOffs: HandOff[] = [];
    // What the tries of deliveries not stored yet left, by id: each is inserted as it stands.
    const tried = new Map<string, Settlement>();
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
        if (!d.unstored) settled.push(s);
        else {
          // Its row is inserted as the try left it: of the settlement, only the endpoint to
          // disable (a 410) is left to write.
          tried.set(d.id, s);
          if (s.disableEndpoint)
            settled.push({ record: null, disableEndpoint: s.disableEndpoint, retry: null });
        }
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
    const handedOn = new Set(handOffs.map((h) => h.d.id));
    const created = mine.flatMap((d): NewDelivery[] => {
      const s = tried.get(d.id);
      if (!d.unstored || (!s && !handedOn.has(d.id))) return [];
      return [
        {
          id: d.id,
          endpointId: d.endpointId,
          eventId: d.unstored.eventId,
          createdAt: d.unstored.createdAt,
          status: s?.record?.status ?? (s?.deadWithoutTry ? 'dead' : 'pending'),
          tried: s?.record ?? null,
          deadReason: s?.deadWithoutTry ? 'endpoint disabled' : undefined,
          at: this.clock.now(),
        },
      ];
    });
    await this.settler.settle({
      job,
      created,
      settled,
      handOffs: handOffs.map(({ d, notBefore }) => ({
        job: {
          id: orderedUuid(),
          deliveryId: d.id,
          endpointId: d.endpointId,
          orderKey: `${d.endpointId}:${d.orderKey}`,
          notBefore,
        },
        orderKey: d.orderKey,
      })),
    });
    return handOffs.length > 0;
  }
}

/** A batch's deliveries in its order (the dispatcher's: each binding's events in order). */
function inOrder(
  ids: readonly string[],
  read: readonly BatchDeliveryInHand[],
): BatchDeliveryInHand[] {
  const byId = new Map(read.map((d) => [d.id, d]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Each event's body made once for all its deliveries read together (an event to 3 endpoints is
 * in 3 batches fetched at once): the same bytes to every endpoint, each signed with its secret.
 */
function withBodies(read: BatchDeliveryInHand[]): BatchDeliveryInHand[] {
  const bodies = new Map<string, string>();
  for (const d of read) {
    let body = bodies.get(d.msgId);
    if (body === undefined) bodies.set(d.msgId, (body = webhookBody(d)));
    d.body = body;
  }
  return read;
}
