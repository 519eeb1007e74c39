import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { nextRetry, parseRetryAfter } from './retry-schedule.js';
import {
  WebhookDeliveriesRepository,
  type DeliveryInHand,
} from './webhook-deliveries.repository.js';
import { WebhookSender, type SendResult } from './webhook-sender.js';
import { webhookSignature } from './webhook-signature.js';
import { WebhookQueue, type DeliveryJob } from './webhook-queue.js';

/** The body every endpoint receives (Standard Webhooks' payload shape). */
export function webhookBody(d: Pick<DeliveryInHand, 'type' | 'occurredAt' | 'data'>): string {
  return JSON.stringify({ type: d.type, timestamp: d.occurredAt.toISOString(), data: d.data });
}

/**
 * One try of one delivery (a pg-boss job): sign, POST, record the answer, and decide. 2xx:
 * succeeded. 410: the endpoint is disabled and the delivery dead. Anything else (an error status,
 * no answer within the timeout, a refused connection): tried again after the schedule's next wait
 * (or the receiver's Retry-After on 429/503), dead after the last.
 */
@Injectable()
export class WebhookDeliveryWorker {
  private readonly logger = new Logger(WebhookDeliveryWorker.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly sender: WebhookSender,
    private readonly queue: WebhookQueue,
  ) {}

  async handle(job: Job<DeliveryJob>): Promise<void> {
    const d = await this.deliveries.inHand(job.data.deliveryId);
    // Gone (endpoint deleted) or settled already (a job run twice after a crash): nothing to do.
    if (!d || d.status !== 'pending') return;
    if (!d.enabled) {
      await this.deliveries.markDead(d.id, this.clock.now(), 'endpoint disabled');
      return;
    }
    const result = await this.sender.send(d.url, this.headers(d), webhookBody(d));
    const at = this.clock.now();
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    if (ok) return this.deliveries.recordTry(d.id, at, result, 'succeeded', null);
    if (result.statusCode === 410) {
      await this.deliveries.recordTry(d.id, at, result, 'dead', null);
      await this.deliveries.disableGone(d.endpointId, at);
      this.logger.warn(`Endpoint ${d.endpointId} answered 410 Gone: disabled`);
      return;
    }
    await this.retryOrDie(job, d, result, at);
  }

  private async retryOrDie(
    job: Job<DeliveryJob>,
    d: DeliveryInHand,
    result: SendResult,
    at: Date,
  ): Promise<void> {
    const throttled = result.statusCode === 429 || result.statusCode === 503;
    const retryAfter = throttled ? parseRetryAfter(result.retryAfter, Date.now()) : null;
    const { delayMs } = nextRetry(this.config.webhooks.retryScheduleMs, d.attempts + 1, retryAfter);
    if (delayMs === null) {
      await this.deliveries.recordTry(d.id, at, result, 'dead', null);
      this.logger.warn(
        `Delivery ${d.id} to endpoint ${d.endpointId} is dead after ${d.attempts + 1} tries`,
      );
      return;
    }
    await this.deliveries.recordTry(d.id, at, result, 'pending', new Date(at.getTime() + delayMs));
    await this.queue.retryLater(job, delayMs, result.error ?? `HTTP ${result.statusCode}`);
  }

  /** webhook-id (the event's, every try), webhook-timestamp (this try), webhook-signature. */
  private headers(d: DeliveryInHand): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = [d.secret];
    if (d.previousSecret && d.previousSecretUntil && d.previousSecretUntil > this.clock.now())
      secrets.push(d.previousSecret);
    return {
      'webhook-id': d.msgId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(d.msgId, timestamp, webhookBody(d), secrets),
    };
  }
}
