import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { inTransaction } from '../prisma/transaction.js';
import { WebhookDatabase } from './webhook-database.js';
import { TEST_EVENT_TYPE } from './webhook-event-types.js';
import { orderedUuid } from './ordered-uuid.js';
import { WebhookQueue, type BatchJobInsert, type DeliveryJobInsert } from './webhook-queue.js';

// One dispatcher at a time over the whole outbox (any instance): rows are taken in id order and a
// binding's events commit in that order (each locks the binding row), so deliveries, and their
// batch jobs, are created in the binding's order.
const DISPATCH_LOCK = `SELECT pg_try_advisory_xact_lock(hashtext('axb_webhooks_dispatch')) AS got`;

// The oldest undispatched events, marked dispatched, each with every enabled endpoint that wants
// its type (an event nobody wants any more is only marked).
const TAKE = `
  WITH ev AS (
    SELECT id, type FROM webhook_events
     WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE
  ), marked AS (
    UPDATE webhook_events w SET dispatched_at = $2 FROM ev WHERE w.id = ev.id
  )
  SELECT ev.id::text AS event_id, e.id AS endpoint_id,
         (SELECT count(*) FROM ev)::int AS taken
    FROM (SELECT 1) one
    LEFT JOIN (ev JOIN webhook_endpoints e ON e.enabled AND ev.type = ANY (e.events)) ON true
   ORDER BY ev.id, e.id`;

const INSERT_DELIVERIES = `
  INSERT INTO webhook_deliveries (id, endpoint_id, event_id, created_at)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS d(id, endpoint_id, event_id),
         (SELECT $4::timestamptz) t`;

const INSERT_TEST_EVENT = `
  INSERT INTO webhook_events (msg_id, type, occurred_at, data, dispatched_at)
  VALUES (webhook_msg_id(), '${TEST_EVENT_TYPE}', $1, $2::jsonb, $1)
  RETURNING id::text AS event_id, msg_id`;

// The caller is answered that it was done: committed durably (the pool's sessions do not wait
// for the flush; see DELIVERY_SESSION_OPTIONS).
const DURABLE = `SET LOCAL synchronous_commit = on`;

interface TakenRow {
  event_id: string | null;
  endpoint_id: string | null;
  taken: number;
}

/**
 * The outbox side: turning events into deliveries and their pg-boss jobs, in one transaction. A
 * pass's deliveries to one endpoint get one batch job (WebhookBatchDelivery makes their first
 * tries), not a job each: pg-boss writes a job three times (inserted, fetched, completed) into a
 * table of ~17 indexes, and per delivery that was most of what an event cost (README: Events to
 * subscribers).
 */
@Injectable()
export class WebhookOutboxRepository {
  constructor(
    private readonly db: WebhookDatabase,
    private readonly queue: WebhookQueue,
  ) {}

  /**
   * Dispatches up to `limit` events; returns how many were taken (0: none waiting, or another
   * instance holds the dispatch lock), the deliveries made and the endpoints a batch job was made
   * for.
   */
  async dispatch(
    limit: number,
    now: Date,
  ): Promise<{ taken: number; deliveries: number; batchEndpoints: string[] }> {
    return this.inTransaction(async (client) => {
      const lock = await client.query<{ got: boolean }>(DISPATCH_LOCK);
      if (!lock.rows[0]?.got) return { taken: 0, deliveries: 0, batchEndpoints: [] };
      const { rows } = await client.query<TakenRow>(TAKE, [limit, now]);
      const taken = rows[0]?.taken ?? 0;
      let deliveries = 0;
      // In event order, so each batch lists its deliveries in the bindings' order (ids ascending).
      // The deliveries are not inserted here: each batch's settlement inserts its rows complete
      // (the try's outcome), once, instead of a pending row here and its update there.
      const batches = new Map<string, BatchJobInsert>();
      for (const r of rows) {
        if (!r.endpoint_id || !r.event_id) continue;
        deliveries += 1;
        let batch = batches.get(r.endpoint_id);
        if (!batch) {
          batch = {
            id: orderedUuid(),
            endpointId: r.endpoint_id,
            deliveryIds: [],
            eventIds: [],
            at: now,
          };
          batches.set(r.endpoint_id, batch);
        }
        batch.deliveryIds.push(orderedUuid());
        batch.eventIds.push(r.event_id);
      }
      if (deliveries === 0) return { taken, deliveries: 0, batchEndpoints: [] };
      await this.queue.insertBatches(client, [...batches.values()]);
      return { taken, deliveries, batchEndpoints: [...batches.keys()] };
    });
  }

  /** A `webhook.test` event for one endpoint, delivered like any other. Returns its webhook-id. */
  async sendTest(endpointId: string, now: Date): Promise<{ msgId: string; deliveryId: string }> {
    return this.inTransaction(async (client) => {
      await client.query(DURABLE);
      const { rows } = await client.query<{ event_id: string; msg_id: string }>(INSERT_TEST_EVENT, [
        now,
        JSON.stringify({ endpointId, message: 'A test event from axb-router' }),
      ]);
      const row = rows[0]!;
      const id = orderedUuid();
      await this.insertDeliveries(
        client,
        [{ id, deliveryId: id, endpointId, orderKey: `${endpointId}:${row.msg_id}` }],
        [row.event_id],
        now,
      );
      return { msgId: row.msg_id, deliveryId: id };
    });
  }

  /**
   * A dead delivery tried again from the start of the schedule (same webhook-id), outside its
   * binding's order (what followed it was delivered meanwhile). False when it is not dead.
   */
  async replay(deliveryId: string, now: Date): Promise<boolean> {
    return this.inTransaction(async (client) => {
      await client.query(DURABLE);
      const { rows } = await client.query<{ endpoint_id: string }>(
        `UPDATE webhook_deliveries
            SET status = 'pending', attempts = 0, next_attempt_at = $2, completed_at = NULL
          WHERE id = $1 AND status = 'dead'
          RETURNING endpoint_id`,
        [deliveryId, now],
      );
      const endpointId = rows[0]?.endpoint_id;
      if (!endpointId) return false;
      await this.queue.insert(client, [
        {
          id: orderedUuid(),
          deliveryId,
          endpointId,
          orderKey: `${endpointId}:replay:${deliveryId}`,
        },
      ]);
      return true;
    });
  }

  private async insertDeliveries(
    client: pg.PoolClient,
    jobs: DeliveryJobInsert[],
    eventIds: string[],
    now: Date,
  ): Promise<void> {
    if (jobs.length === 0) return;
    await client.query(INSERT_DELIVERIES, [
      jobs.map((j) => j.deliveryId),
      jobs.map((j) => j.endpointId),
      eventIds,
      now,
    ]);
    await this.queue.insert(client, jobs);
  }

  private inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.db.withClient((client) => inTransaction(client, work));
  }
}
