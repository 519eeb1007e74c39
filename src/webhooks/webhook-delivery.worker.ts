import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { nextRetry, parseRetryAfter } from './retry-schedule.js';
import type { DeliveryInHand, TryRecord } from './webhook-deliveries.repository.js';
import { WEBHOOK_REQUEST_HEADERS, WebhookSender, type SendResult } from './webhook-sender.js';
import { webhookSignature } from './webhook-signature.js';

/** The body every endpoint receives (Standard Webhooks' payload shape). */
export function webhookBody(d: Pick<DeliveryInHand, 'type' | 'occurredAt' | 'data'>): string {
  return JSON.stringify({ type: d.type, timestamp: d.occurredAt.toISOString(), data: d.data });
}

/** What a try left to write (the settler writes a batch of them at once). */
export interface Settlement {
  /** The try and the delivery's state after it; null when no request was made. */
  record: TryRecord | null;
  /** A pending delivery marked dead without a try: its endpoint was disabled meanwhile. */
  deadWithoutTry?: string;
  /** The endpoint that answered 410 Gone: disabled. */
  disableEndpoint?: string;
  /** Null: the job is over (delivered, dead, or nothing to do); else tried again after `delayMs`. */
  retry: { delayMs: number; reason: string } | null;
}

/**
 * One try of one delivery (a pg-boss job): sign, POST, and decide. 2xx: succeeded. 410: the
 * endpoint is disabled and the delivery dead. Anything else (an error status, no answer within
 * the timeout, a refused connection): tried again after the schedule's next wait (or the
 * receiver's Retry-After on 429/503), dead after the last.
 */
@Injectable()
export class WebhookDeliveryWorker {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sender: WebhookSender,
  ) {}

  async attempt(d: DeliveryInHand | undefined): Promise<Settlement> {
    // Gone (endpoint deleted) or settled already (a job run twice after a crash): nothing to do.
    if (!d || d.status !== 'pending') return { record: null, retry: null };
    if (!d.enabled) return { record: null, deadWithoutTry: d.id, retry: null };
    // (a batch's read gives each event's body once, to every endpoint's delivery of it)
    const body = d.body ?? webhookBody(d);
    const result = await this.sender.send(d.url, this.headers(d, body), body);
    const at = this.clock.now();
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const record = (status: TryRecord['status'], nextAttemptAt: Date | null): TryRecord => ({
      deliveryId: d.id,
      at,
      result,
      status,
      nextAttemptAt,
    });
    if (ok) return { record: record('succeeded', null), retry: null };
    if (result.statusCode === 410)
      return { record: record('dead', null), disableEndpoint: d.endpointId, retry: null };
    const delayMs = this.retryDelay(d, result);
    if (delayMs === null) return { record: record('dead', null), retry: null };
    return {
      record: record('pending', new Date(at.getTime() + delayMs)),
      retry: { delayMs, reason: result.error ?? `HTTP ${result.statusCode}` },
    };
  }

  /** The wait before the next try, null after the last (dead). */
  private retryDelay(d: DeliveryInHand, result: SendResult): number | null {
    const throttled = result.statusCode === 429 || result.statusCode === 503;
    const retryAfter = throttled ? parseRetryAfter(result.retryAfter, Date.now()) : null;
    return nextRetry(this.config.webhooks.retryScheduleMs, d.attempts + 1, retryAfter).delayMs;
  }

  /**
   * The request's headers: webhook-id (the event's, every try), webhook-timestamp (this try),
   * webhook-signature, and WEBHOOK_REQUEST_HEADERS.
   */
  private headers(d: DeliveryInHand, body: string): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = [d.secret];
    if (d.previousSecret && d.previousSecretUntil && d.previousSecretUntil > this.clock.now())
      secrets.push(d.previousSecret);
    return {
      ...WEBHOOK_REQUEST_HEADERS,
      'webhook-id': d.msgId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': webhookSignature(d.msgId, timestamp, body, secrets),
    };
  }
}
