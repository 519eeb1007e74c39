import { Injectable } from '@nestjs/common';
import { WebhookDatabase } from './webhook-database.js';
import type pg from 'pg';
import type { SendResult } from './webhook-sender.js';
import { plainArray } from './plain-array.js';

/** A delivery with what a try needs: the endpoint (URL, secrets) and the event. */
/** The pool, or a client in a transaction. */
export type Runner = pg.Pool | pg.PoolClient;

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
  /** The request body (webhookBody()), when the read made it once for the event's deliveries. */
  body?: string;
}

/** A delivery of a batch: also its binding's key, and whether an earlier one holds that key. */
export interface BatchDeliveryInHand extends DeliveryInHand {
  /** The binding's id, or the event's webhook-id when it has no binding. */
  orderKey: string;
  /** An earlier event of the binding waits in pg-boss at this endpoint: this one goes behind it. */
  held: boolean;
  /**
   * Not stored yet (a batch dispatched without its rows): its settlement inserts it, complete,
   * with its event and the dispatch time.
   */
  unstored?: { eventId: string; createdAt: Date };
}

/** A batch job's deliveries as its data names them (`events` absent: stored by the dispatcher). */
export interface BatchDeliveries {
  deliveryIds: readonly string[];
  events?: readonly string[];
  endpointId?: string;
  at?: string;
}

/**
 * A delivery inserted by its batch's settlement, as it stands after its first try (`tried`), or
 * pending and untried (handed on to a job of its own), or dead untried (its endpoint disabled).
 */
export interface NewDelivery {
  id: string;
  endpointId: string;
  eventId: string;
  createdAt: Date;
  status: DeliveryStatus;
  /** The try, when one was made (a failed one also gets its attempt row). */
  tried: TryRecord | null;
  /** Without a try: why it is dead (its endpoint was disabled). */
  deadReason?: string;
  at: Date;
}

const IN_HAND = `
  SELECT d.id, d.status, d.attempts, d.endpoint_id AS "endpointId", e.url, e.enabled, e.secret,
         e.previous_secret AS "previousSecret", e.previous_secret_until AS "previousSecretUntil",
         v.msg_id AS "msgId", v.type, v.occurred_at AS "occurredAt", v.data
    FROM webhook_deliveries d
    JOIN webhook_endpoints e ON e.id = d.endpoint_id
    JOIN webhook_events v ON v.id = d.event_id
   WHERE d.id = ANY ($1::uuid[])`;

const BATCH_IN_HAND = `
  SELECT d.id, d.status, d.attempts, d.endpoint_id AS "endpointId", e.url, e.enabled, e.secret,
         e.previous_secret AS "previousSecret", e.previous_secret_until AS "previousSecretUntil",
         v.msg_id AS "msgId", v.type, v.occurred_at AS "occurredAt", v.data,
         k.order_key AS "orderKey",
         EXISTS (SELECT 1 FROM webhook_queued_deliveries q
                  WHERE q.endpoint_id = d.endpoint_id AND q.order_key = k.order_key
                    AND q.delivery_id <> d.id) AS held
    FROM webhook_deliveries d
    JOIN webhook_endpoints e ON e.id = d.endpoint_id
    JOIN webhook_events v ON v.id = d.event_id
   CROSS JOIN LATERAL (SELECT coalesce(v.binding_id::text, v.msg_id) AS order_key) k
   WHERE d.id = ANY ($1::uuid[])`;

// The deliveries of batches dispatched without their rows: each event (by id) with its endpoint.
// An endpoint deleted meanwhile, or an event gone, leaves its delivery out (nothing to try).
const BATCH_EVENTS_IN_HAND = `
  SELECT b.id, 'pending' AS status, 0 AS attempts, e.id AS "endpointId", e.url, e.enabled,
         e.secret, e.previous_secret AS "previousSecret",
         e.previous_secret_until AS "previousSecretUntil",
         v.msg_id AS "msgId", v.type, v.occurred_at AS "occurredAt", v.data,
         k.order_key AS "orderKey", v.id::text AS "eventId", b.created_at AS "createdAt",
         EXISTS (SELECT 1 FROM webhook_queued_deliveries q
                  WHERE q.endpoint_id = e.id AND q.order_key = k.order_key) AS held
    FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[])
         AS b(id, endpoint_id, event_id, created_at)
    JOIN webhook_endpoints e ON e.id = b.endpoint_id
    JOIN webhook_events v ON v.id = b.event_id
   CROSS JOIN LATERAL (SELECT coalesce(v.binding_id::text, v.msg_id) AS order_key) k`;

// Batches' deliveries inserted once, complete: each as its first try left it (succeeded, dead,
// or pending with its next try's time), or pending untried (handed on), or dead untried (its
// endpoint disabled). A failed try also gets its attempt row (a successful one is on the
// delivery's row, as RECORD does). Instead of a pending row inserted by the dispatcher and
// updated by the try's record: one write of the row, not two. An endpoint deleted meanwhile
// gets none (its deliveries went with it); a row already there (never, the settlement being
// fenced to the batch's claim) is left alone.
const INSERT_SETTLED = `
  WITH t AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::timestamptz[], $5::varchar[],
                         $6::int[], $7::timestamptz[], $8::int[], $9::text[], $10::text[],
                         $11::int[], $12::timestamptz[])
           AS t(id, endpoint_id, event_id, created_at, status, attempts, at, status_code, error,
                response, duration_ms, next_attempt_at)
  ), d AS (
    INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, last_status_code,
                                    last_error, next_attempt_at, created_at, completed_at,
                                    last_response, last_duration_ms)
    SELECT t.id, t.endpoint_id, t.event_id, t.status, t.attempts, t.status_code, t.error,
           t.next_attempt_at, t.created_at,
           CASE WHEN t.status = 'pending' THEN NULL ELSE t.at END,
           CASE WHEN t.status = 'succeeded' THEN t.response END,
           CASE WHEN t.status = 'succeeded' THEN t.duration_ms END
      FROM t
     WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = t.endpoint_id)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
  )
  INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, response, duration_ms)
  SELECT t.id, 1, t.at, t.status_code, t.error, t.response, t.duration_ms
    FROM t JOIN d ON d.id = t.id
   WHERE t.attempts > 0 AND t.status <> 'succeeded'`;

const HOLD = `
  INSERT INTO webhook_queued_deliveries (delivery_id, endpoint_id, order_key)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])
  ON CONFLICT (delivery_id) DO NOTHING`;

// Tries and what they left, a batch in one statement: each delivery's state after its try, and
// for a try that failed its attempt row (a successful try is recorded on the delivery's row: its
// answer and duration; the deliveries API shows it from there). A delivery settled meanwhile (a
// job run twice after a crash) is left alone.
const RECORD = `
  WITH t AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::text[], $5::text[],
                         $6::int[], $7::varchar[], $8::timestamptz[])
           AS t(id, at, status_code, error, response, duration_ms, status, next_attempt_at)
  ), d AS (
    UPDATE webhook_deliveries w
       SET attempts = w.attempts + 1, last_status_code = t.status_code, last_error = t.error,
           status = t.status, next_attempt_at = t.next_attempt_at,
           completed_at = CASE WHEN t.status = 'pending' THEN NULL ELSE t.at END,
           last_response = CASE WHEN t.status = 'succeeded' THEN t.response END,
           last_duration_ms = CASE WHEN t.status = 'succeeded' THEN t.duration_ms END
      FROM t
     WHERE w.id = t.id AND w.status = 'pending'
    RETURNING w.id, w.status
  ), released AS (
    DELETE FROM webhook_queued_deliveries q USING d WHERE q.delivery_id = d.id AND d.status <> 'pending'
  )
  INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, response, duration_ms)
  SELECT t.id, (SELECT count(*) + 1 FROM webhook_attempts a WHERE a.delivery_id = t.id),
         t.at, t.status_code, t.error, t.response, t.duration_ms
    FROM t JOIN d ON d.id = t.id
   WHERE d.status <> 'succeeded'`;

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

  /** Batches' deliveries, with their keys (one that is gone is missing). */
  async batchInHand(batches: readonly BatchDeliveries[]): Promise<BatchDeliveryInHand[]> {
    const stored = batches.filter((b) => !b.events).flatMap((b) => b.deliveryIds);
    const unstored = batches.filter((b) => b.events && b.endpointId);
    const read: BatchDeliveryInHand[] = [];
    if (stored.length > 0)
      read.push(
        ...(
          await this.db.pool.query<BatchDeliveryInHand>({
            name: 'webhook-batch-in-hand',
            text: BATCH_IN_HAND,
            values: [stored],
          })
        ).rows,
      );
    if (unstored.length > 0) {
      const ids: string[] = [];
      const endpoints: string[] = [];
      const events: string[] = [];
      const at: string[] = [];
      for (const b of unstored)
        b.deliveryIds.forEach((id, i) => {
          ids.push(id);
          endpoints.push(b.endpointId!);
          events.push(b.events![i]!);
          at.push(b.at ?? new Date().toISOString());
        });
      const { rows } = await this.db.pool.query<
        BatchDeliveryInHand & { eventId: string; createdAt: Date }
      >({
        name: 'webhook-batch-events-in-hand',
        text: BATCH_EVENTS_IN_HAND,
        values: [plainArray(ids), plainArray(endpoints), plainArray(events), plainArray(at)],
      });
      for (const { eventId, createdAt, ...d } of rows)
        read.push({ ...d, unstored: { eventId, createdAt } });
    }
    return read;
  }

  /** Batches' deliveries inserted complete (see INSERT_SETTLED), on the settlement's client. */
  async insertSettled(runner: Runner, rows: readonly NewDelivery[]): Promise<void> {
    if (rows.length === 0) return;
    await runner.query({
      name: 'webhook-delivery-insert-settled',
      text: INSERT_SETTLED,
      values: [
        plainArray(rows.map((r) => r.id)),
        plainArray(rows.map((r) => r.endpointId)),
        plainArray(rows.map((r) => r.eventId)),
        plainArray(rows.map((r) => r.createdAt)),
        plainArray(rows.map((r) => r.status)),
        plainArray(rows.map((r) => (r.tried ? 1 : 0))),
        plainArray(rows.map((r) => r.tried?.at ?? r.at)),
        plainArray(rows.map((r) => r.tried?.result.statusCode)),
        // (free text: quoted by pg)
        rows.map((r) => r.tried?.result.error ?? r.deadReason ?? null),
        rows.map((r) => r.tried?.result.response ?? null),
        plainArray(rows.map((r) => r.tried?.result.durationMs)),
        plainArray(rows.map((r) => r.tried?.nextAttemptAt)),
      ],
    });
  }

  /** Deliveries handed to jobs of their own: they hold their keys until settled. */
  async hold(
    runner: Runner,
    held: ReadonlyArray<{ deliveryId: string; endpointId: string; orderKey: string }>,
  ): Promise<void> {
    if (held.length === 0) return;
    await runner.query(HOLD, [
      held.map((h) => h.deliveryId),
      held.map((h) => h.endpointId),
      held.map((h) => h.orderKey),
    ]);
  }

  /**
   * Records a batch of tries in one statement (a failed one as an attempt row, a successful one
   * on its delivery's row); a delivery settled by its try (succeeded, dead) releases its key.
   */
  async recordTries(tries: readonly TryRecord[], runner: Runner = this.db.pool): Promise<void> {
    if (tries.length === 0) return;
    await runner.query({
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
  async disableGone(endpointId: string, at: Date, runner: Runner = this.db.pool): Promise<void> {
    await runner.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_reason = 'gone', updated_at = $2
        WHERE id = $1 AND enabled`,
      [endpointId, at],
    );
  }

  /** Pending deliveries whose endpoint was disabled meanwhile: dead (replayable). */
  async markDead(
    deliveryIds: readonly string[],
    at: Date,
    reason: string,
    runner: Runner = this.db.pool,
  ): Promise<void> {
    if (deliveryIds.length === 0) return;
    await runner.query(
      `WITH d AS (
         UPDATE webhook_deliveries SET status = 'dead', last_error = $3, completed_at = $2,
                next_attempt_at = NULL
          WHERE id = ANY ($1::uuid[]) AND status = 'pending'
         RETURNING id
       )
       DELETE FROM webhook_queued_deliveries q USING d WHERE q.delivery_id = d.id`,
      [deliveryIds, at, reason],
    );
  }
}
