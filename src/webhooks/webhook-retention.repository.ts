import { Injectable } from '@nestjs/common';
import { WebhookDatabase } from './webhook-database.js';

/** One pruning pass's counts, or null when another instance holds the pass. */
export interface PruneCounts {
  events: number;
  deliveries: number;
  batches: number;
}

const LOCK = `hashtext('axb_webhooks_retention')`;

// The next events after `$1`, oldest first: the range a batch looks at, and whether it reached
// events that are not old enough (undispatched, or dispatched since the cutoff). The dispatcher
// takes events in id order, so past such an event there is nothing older to find.
const RANGE = `
  SELECT max(id)::text AS last,
         count(*) FILTER (WHERE dispatched_at IS NULL OR dispatched_at >= $2)::int AS young
    FROM (SELECT id, dispatched_at FROM webhook_events WHERE id > $1 ORDER BY id LIMIT $3) b`;

// Settled deliveries (delivered, or dead) whose last try is older than the cutoff; a pending one,
// or one replayed since, stays. Their attempts go with them (ON DELETE CASCADE).
const DELETE_DELIVERIES = `
  DELETE FROM webhook_deliveries
   WHERE event_id > $1 AND event_id <= $2 AND status <> 'pending' AND completed_at < $3`;

// Events dispatched before the cutoff with no delivery left.
const DELETE_EVENTS = `
  DELETE FROM webhook_events e
   WHERE e.id > $1 AND e.id <= $2 AND e.dispatched_at < $3
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`;

/**
 * Prunes the outbox: settled deliveries older than WEBHOOK_RETENTION_DAYS and events with none
 * left, in batches of events walked by id (each statement commits on its own: no long lock, a
 * replay waits at most one batch). One instance at a time: a session advisory lock, freed with
 * its connection if the process dies.
 */
@Injectable()
export class WebhookRetentionRepository {
  constructor(private readonly db: WebhookDatabase) {}

  async prune(
    cutoff: Date,
    batchSize: number,
    maxBatches: number,
    stopping?: AbortSignal,
  ): Promise<PruneCounts | null> {
    return this.db.withClient(async (client) => {
      const lock = await client.query<{ got: boolean }>(
        `SELECT pg_try_advisory_lock(${LOCK}) AS got`,
      );
      if (!lock.rows[0]?.got) return null;
      try {
        const counts: PruneCounts = { events: 0, deliveries: 0, batches: 0 };
        let after = '0';
        while (counts.batches < maxBatches && !stopping?.aborted) {
          const { rows } = await client.query<{ last: string | null; young: number }>(RANGE, [
            after,
            cutoff,
            batchSize,
          ]);
          const { last, young } = rows[0]!;
          if (last === null) break;
          counts.batches += 1;
          const range = [after, last, cutoff];
          counts.deliveries += (await client.query(DELETE_DELIVERIES, range)).rowCount ?? 0;
          counts.events += (await client.query(DELETE_EVENTS, range)).rowCount ?? 0;
          if (young > 0) break;
          after = last;
        }
        return counts;
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${LOCK})`);
      }
    });
  }
}
