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
   WHERE d.id = ANY ($1::uuid[])`;

// Tries and what they left, a batch in one statement: each delivery's state after its try, and
// its attempt row. A delivery settled meanwhile (a job run twice after a crash) is left alone.
const RECORD = `
  WITH t AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::text[], $5::text[],
                         $6::int[], $7::varchar[], $8::timestamptz[])
           AS t(id, at, status_code, error, response, duration_ms, status, next_attempt_at)
  ), d AS (
    UPDATE webhook_deliveries w
       SET attempts = w.attempts + 1, last_status_code = t.status_code, last_error = t.error,
           status = t.status, next_attempt_at = t.next_attempt_at,
           completed_at = CASE WHEN t.status = 'pending' THEN NULL ELSE t.at END
      FROM t
     WHERE w.id = t.id AND w.status = 'pending'
    RETURNING w.id
  )
  INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, response, duration_ms)
  SELECT t.id, (SELECT count(*) + 1 FROM webhook_attempts a WHERE a.delivery_id = t.id),
         t.at, t.status_code, t.error, t.response, t.duration_ms
    FROM t JOIN d ON d.id = t.id`;

/** One try's record: the answer, and where the delivery stands after it. */
export interface TryRecord {
  deliveryId: string;
  at: Date;
  result: Pick<SendResult, 'statusCode' | 'error' | 'response' | 'durationMs'>;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead';

@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly db: WebhookDatabase) {}

  /** The deliveries of a batch of jobs, by id (one that is gone is missing). */
  async inHand(deliveryIds: readonly string[]): Promise<Map<string, DeliveryInHand>> {
    const { rows } = await this.db.pool.query<DeliveryInHand>({
      name: 'webhook-delivery-in-hand',
      text: IN_HAND,
      values: [deliveryIds],
    });
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Records a batch of tries in one statement. */
  async recordTries(tries: readonly TryRecord[]): Promise<void> {
    if (tries.length === 0) return;
    await this.db.pool.query({
      name: 'webhook-delivery-record-tries',
      text: RECORD,
      values: [
        tries.map((t) => t.deliveryId),
        tries.map((t) => t.at),
        tries.map((t) => t.result.statusCode),
        tries.map((t) => t.result.error),
        tries.map((t) => t.result.response),
        tries.map((t) => t.result.durationMs),
        tries.map((t) => t.status),
        tries.map((t) => t.nextAttemptAt),
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

  /** Pending deliveries whose endpoint was disabled meanwhile: dead (replayable). */
  async markDead(deliveryIds: readonly string[], at: Date, reason: string): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.db.pool.query(
      `UPDATE webhook_deliveries SET status = 'dead', last_error = $3, completed_at = $2,
              next_attempt_at = NULL
        WHERE id = ANY ($1::uuid[]) AND status = 'pending'`,
      [deliveryIds, at, reason],
    );
  }
}
