import { Injectable } from '@nestjs/common';
import { WebhookDatabase } from './webhook-database.js';
import type { SendResult } from './webhook-sender.js';

/** A delivery with what a try needs: the endpoint (URL, secrets) and the event. */
export interface DeliveryInHand {
  id: string;
  status: string;
  attempts: number;
  endpointId: string;
  url: string;
  enabled: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
  msgId: string;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

const IN_HAND = `
  SELECT d.id, d.status, d.attempts, d.endpoint_id AS "endpointId", e.url, e.enabled, e.secret,
         e.previous_secret AS "previousSecret", e.previous_secret_until AS "previousSecretUntil",
         v.msg_id AS "msgId", v.type, v.occurred_at AS "occurredAt", v.data
    FROM webhook_deliveries d
    JOIN webhook_endpoints e ON e.id = d.endpoint_id
    JOIN webhook_events v ON v.id = d.event_id
   WHERE d.id = $1`;

// One try and what it left: the attempt row, and the delivery's state after it.
const RECORD = `
  WITH d AS (
    UPDATE webhook_deliveries
       SET attempts = attempts + 1, last_status_code = $3, last_error = $4, status = $7::varchar,
           next_attempt_at = $8, completed_at = CASE WHEN $7::varchar = 'pending' THEN NULL ELSE $2::timestamptz END
     WHERE id = $1 AND status = 'pending'
    RETURNING id
  )
  INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, response, duration_ms)
  SELECT d.id, (SELECT count(*) + 1 FROM webhook_attempts a WHERE a.delivery_id = d.id),
         $2, $3, $4, $5, $6 FROM d`;

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead';

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly db: WebhookDatabase) {}

  async inHand(deliveryId: string): Promise<DeliveryInHand | null> {
    const { rows } = await this.db.pool.query<DeliveryInHand>({
      name: 'webhook-delivery-in-hand',
      text: IN_HAND,
      values: [deliveryId],
    });
    return rows[0] ?? null;
  }

  /** Records a try; `status` is where the delivery stands after it. */
  async recordTry(
    deliveryId: string,
    at: Date,
    result: SendResult | { statusCode: null; error: string; response: null; durationMs: 0 },
    status: DeliveryStatus,
    nextAttemptAt: Date | null,
  ): Promise<void> {
    await this.db.pool.query({
      name: 'webhook-delivery-record-try',
      text: RECORD,
      values: [
        deliveryId,
        at,
        result.statusCode,
        result.error,
        result.response,
        result.durationMs,
        status,
        nextAttemptAt,
      ],
    });
  }

  /** The receiver answered 410 Gone: it wants nothing more. */
  async disableGone(endpointId: string, at: Date): Promise<void> {
    await this.db.pool.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'gone', updated_at = $2
        WHERE id = $1 AND enabled`,
      [endpointId, at],
    );
  }

  /** A pending delivery whose endpoint was disabled meanwhile: dead (replayable). */
  async markDead(deliveryId: string, at: Date, reason: string): Promise<void> {
    await this.db.pool.query(
      `UPDATE webhook_deliveries SET status = 'dead', last_error = $3, completed_at = $2,
              next_attempt_at = NULL
        WHERE id = $1 AND status = 'pending'`,
      [deliveryId, at, reason],
    );
  }
}
