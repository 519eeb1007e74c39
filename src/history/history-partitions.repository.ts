import { Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import { PrismaService } from '../prisma/prisma.service.js';
import { dropHistoryMonth, HISTORY_TABLES, type HistoryMonth } from './history-month-drop.js';

/** What one pass over the record's partitions did. */
export interface PartitionPass {
  /** Month partitions made (one per table and month). */
  created: number;
  /** Rows that had landed in a DEFAULT partition (their month had no partition) and moved. */
  movedFromDefault: number;
  /** Month partitions detached and dropped. */
  dropped: number;
  /** Months old enough to drop but kept: one of their bindings is not over. */
  keptLive: number;
  /** Months old enough to drop but kept: an old binding in them is not past retention. */
  keptLegacy: number;
  /** Months whose drop could not have a table's lock in time: the next pass finishes them. */
  dropDeferred: number;
  /** Bindings made before partitioning (DEFAULT partition, or taken by a month) deleted by age. */
  deletedFromDefault: number;
  /** Rows in the DEFAULT partitions whose month has no partition (a write came too early). */
  outsidePartitions: number;
}

/**
 * A month old enough to drop that still holds bindings not over (`live`), or old bindings its id
 * range took that are not past retention by their own times (`legacy`), with some of their orders.
 */
export interface KeptMonth {
  month: string;
  reason: 'live' | 'legacy';
  orders: string[];
}

/** Session advisory lock of the pass: one instance at a time, across the cluster. */
const LOCK = `SELECT pg_try_advisory_lock(hashtext('axb-history-partitions')) AS locked`;
const UNLOCK = `SELECT pg_advisory_unlock(hashtext('axb-history-partitions'))`;

const DEFAULT_BATCH = 1000;

/**
 * A binding of the record past retention by its own times (made and over before `$1`), and not
 * live, open at the provider or in a contact window. `b` is the binding.
 */
const PAST_RETENTION = `b.created_at < $1 AND coalesce(b.ended_at, b.expires_at) < $1
  AND NOT EXISTS (SELECT 1 FROM live_pairs p WHERE p.binding_id = b.id)
  AND NOT EXISTS (SELECT 1 FROM reconcile_queue q WHERE q.binding_id = b.id)
  AND NOT EXISTS (SELECT 1 FROM contact_windows w WHERE w.binding_id = b.id)`;

/**
 * The record's month partitions (prisma/sql/090_history_partitions.sql): made ahead, moved out
 * of the DEFAULT partition when a write came before its month, dropped after the retention.
 * Statements here take table locks: each runs with a lock_timeout, so a pass waits for binds in
 * flight briefly and never makes them fail; a pass that cannot get its locks tries again next time.
 */
@Injectable()
export class HistoryPartitionsRepository {
  private readonly logger = new Logger(HistoryPartitionsRepository.name);

  constructor(private readonly prisma: PrismaService) {}

  /**
   * One pass: partitions for the month of `now` and `aheadMonths` after it, then the months whose
   * last day is more than `retentionDays` before `now` dropped. Null when another instance is
   * doing a pass.
   */
  async pass(
    now: Date,
    aheadMonths: number,
    retentionDays: number,
    onKept: (kept: KeptMonth) => void,
  ): Promise<PartitionPass | null> {
    const client = await this.prisma.pgPool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(LOCK);
      if (!rows[0]?.locked) return null;
      try {
        const made = await this.ensure(client, now, aheadMonths);
        const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
        // Old bindings first, wherever they are: a month then holds none past retention.
        const deletedFromDefault = await this.deleteLegacyBefore(client, cutoff);
        const dropped = await this.dropBefore(client, cutoff, now, onKept);
        const outsidePartitions = await this.countOutside(client);
        return { ...made, ...dropped, deletedFromDefault, outsidePartitions };
      } finally {
        await client.query(UNLOCK);
      }
    } finally {
      client.release();
    }
  }

  private async ensure(
    client: pg.PoolClient,
    now: Date,
    aheadMonths: number,
  ): Promise<{ created: number; movedFromDefault: number }> {
    let created = 0;
    let movedFromDefault = 0;
    for (let m = 0; m <= aheadMonths; m++) {
      const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + m, 1));
      for (const table of HISTORY_TABLES) {
        // Each in its own transaction: the attach locks the parent briefly (SHARE UPDATE
        // EXCLUSIVE: binds go on) and the default partition while it is checked.
        await client.query('BEGIN');
        try {
          await client.query(`SET LOCAL lock_timeout = '5s'`);
          const { rows } = await client.query<{ moved: string | null }>(
            'SELECT history_partition_create($1, $2, $3) AS moved',
            [table, month, now],
          );
          await client.query('COMMIT');
          const moved = rows[0]?.moved;
          if (moved !== null && moved !== undefined) {
            created++;
            movedFromDefault += Number(moved);
          }
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    }
    return { created, movedFromDefault };
  }

  /**
   * Drops whole months older than the cutoff (history-month-drop.ts), unless one is not over.
   * Months are those made and not yet dropped: one whose drop stopped midway is finished.
   */
  private async dropBefore(
    client: pg.PoolClient,
    cutoff: Date,
    now: Date,
    onKept: (kept: KeptMonth) => void,
  ): Promise<{ dropped: number; keptLive: number; keptLegacy: number; dropDeferred: number }> {
    const { rows: months } = await client.query<HistoryMonth>(
      `SELECT DISTINCT to_char(month, 'YYYY-MM') AS month,
              history_month_bound(month::timestamp AT TIME ZONE 'UTC')::text AS lo,
              history_month_bound((month + interval '1 month')::timestamp AT TIME ZONE 'UTC')::text
                AS hi
         FROM history_partitions
        WHERE dropped_at IS NULL
          AND (month + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= $1
        ORDER BY 1`,
      [cutoff],
    );
    const pass = { dropped: 0, keptLive: 0, keptLegacy: 0, dropDeferred: 0 };
    for (const month of months) {
      const outcome = await dropHistoryMonth(client, month, cutoff, now);
      if (outcome.kind === 'dropped') pass.dropped += outcome.partitions;
      else if (outcome.kind === 'busy') pass.dropDeferred++;
      else {
        if (outcome.reason === 'live') pass.keptLive++;
        else pass.keptLegacy++;
        onKept({ month: month.month, reason: outcome.reason, orders: outcome.orders });
      }
    }
    return pass;
  }

  /**
   * The bindings made before partitioning (v4 ids) are deleted by their own age, in batches
   * through the parent (the delete trigger takes what followed each along): those in the DEFAULT
   * partition, and the few a month's id range took (history_legacy_bindings), which would
   * otherwise stay as long as that month. Bindings not over are left alone.
   */
  private async deleteLegacyBefore(client: pg.PoolClient, cutoff: Date): Promise<number> {
    let total = 0;
    for (const source of [
      `SELECT b.id FROM bindings_default b WHERE ${PAST_RETENTION} LIMIT $2`,
      `SELECT b.id FROM history_legacy_bindings l JOIN bindings b ON b.id = l.binding_id
        WHERE ${PAST_RETENTION} LIMIT $2`,
    ]) {
      for (;;) {
        const result = await client.query(`DELETE FROM bindings WHERE id IN (${source})`, [
          cutoff,
          DEFAULT_BATCH,
        ]);
        total += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < DEFAULT_BATCH) break;
      }
    }
    await client.query(
      `DELETE FROM history_legacy_bindings l
        WHERE NOT EXISTS (SELECT 1 FROM bindings b WHERE b.id = l.binding_id)`,
    );
    // Call records the provider sent for no binding we know go by their own age. (Through the
    // parent, as every write of the record: a null key is pruned to the DEFAULT partition.)
    await client.query(`DELETE FROM call_records WHERE binding_id IS NULL AND received_at < $1`, [
      cutoff,
    ]);
    return total;
  }

  /**
   * Bindings in the DEFAULT partition with a time-carrying id (UUIDv7, version nibble 7): written
   * while their month had no partition. The next pass moves them into the month it makes.
   */
  private async countOutside(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bindings_default
        WHERE id >= history_month_bound('2000-01-01Z') AND binding_id_has_time(id)`,
    );
    const outside = rows[0]?.n ?? 0;
    if (outside > 0) {
      this.logger.warn(`${outside} binding(s) in the default partition: their month had none`);
    }
    return outside;
  }
}
