import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { SecretNumber } from '../generated/prisma/client.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import { PrismaService } from '../prisma/prisma.service.js';

export interface NumberWithLoad {
  number: string;
  spec: number;
  city: string;
  state: string;
  health: string;
  boughtAt: Date;
  releasedAt: Date | null;
  liveBindings: number;
  /** LockSecretNo: when and by whom; null while unlocked. */
  lockedAt: Date | null;
  lockedBy: string | null;
}

export interface StockRow {
  city: string;
  spec: number;
  numbers: number;
  healthy: number;
  /** Locked numbers (no new bindings); their free capacity is not counted. */
  locked: number;
  livePairs: number;
  freePairs: number;
}

/** Where a health report came from: the MNS queue (origin proven) or an HTTP push. */
export type HealthSource = 'queue' | 'push';

/**
 * Middle numbers held by pools. The console's lists (`list`, `adminStock`) count each number's
 * live pairs and run on the admin reads' own pool; the service's own reads stay on its pool.
 */
@Injectable()
export class NumbersRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly admin: AdminReadsDatabase,
  ) {}

  insertBought(
    poolKey: string,
    number: string,
    spec: number,
    city: string,
    now: Date,
  ): Promise<SecretNumber> {
    return this.prisma.secretNumber.create({
      data: { poolKey, number, spec, city, boughtAt: now },
    });
  }

  /**
   * Records a number the account already holds at the provider, unless a pool holds it here
   * already: 'registered', or the pool that holds it.
   */
  async insertRegistered(
    poolKey: string,
    number: string,
    spec: number,
    city: string,
    now: Date,
  ): Promise<{ registered: true } | { registered: false; heldBy: string | null }> {
    const inserted = await this.prisma.$executeRaw(Prisma.sql`
      INSERT INTO secret_numbers (pool_key, number, spec, city, bought_at)
      VALUES (${poolKey}, ${number}, ${spec}, ${city}, ${now})
      ON CONFLICT (number) WHERE state <> 'released' DO NOTHING`);
    if (inserted > 0) return { registered: true };
    const holder = await this.prisma.secretNumber.findFirst({
      where: { number, state: 'active' },
      select: { poolKey: true },
    });
    return { registered: false, heldBy: holder?.poolKey ?? null };
  }

  /** Admin read (its own pool). */
  list(poolKey: string, now: Date): Promise<NumberWithLoad[]> {
    return this.admin.read((db) =>
      db.$queryRaw<NumberWithLoad[]>(Prisma.sql`
      SELECT n.number, n.spec, n.city, n.state::text AS state, n.health::text AS health,
             n.bought_at AS "boughtAt", n.released_at AS "releasedAt",
             x_live_pairs(n.number, ${now}) AS "liveBindings",
             n.locked_at AS "lockedAt", n.locked_by AS "lockedBy"
        FROM secret_numbers n
       WHERE n.pool_key = ${poolKey}
       ORDER BY n.state, n.city, n.spec, n.number`),
    );
  }

  /** The stock per city and spec, for the service's own decisions (replenishment). */
  stock(poolKey: string, maxPairs: number, now: Date): Promise<StockRow[]> {
    return this.prisma.$queryRaw<StockRow[]>(stockQuery(poolKey, maxPairs, now));
  }

  /** The same, read for an admin (its own pool). */
  adminStock(poolKey: string, maxPairs: number, now: Date): Promise<StockRow[]> {
    return this.admin.read((db) => db.$queryRaw<StockRow[]>(stockQuery(poolKey, maxPairs, now)));
  }

  /**
   * Takes a held number out of use before the provider is asked to release it: under the row
   * lock no bind can be placing a pair on it. Returns the number of live bindings on it when
   * it is still in use (and leaves it held), 0 when it was taken out, or null if not held.
   */
  async withdraw(poolKey: string, number: string, now: Date): Promise<number | null> {
    return this.prisma.$transaction(async (tx) => {
      const held = await tx.$queryRaw<Array<{ id: bigint }>>(Prisma.sql`
        SELECT id FROM secret_numbers
         WHERE pool_key = ${poolKey} AND number = ${number} AND state = 'active' FOR UPDATE`);
      if (held.length === 0) return null;
      const [row] = await tx.$queryRaw<Array<{ live: number }>>(
        Prisma.sql`SELECT x_live_pairs(${number}, ${now}) AS live`,
      );
      if ((row?.live ?? 0) > 0) return row!.live;
      await tx.secretNumber.update({
        where: { id: held[0]!.id },
        data: { state: 'released', releasedAt: now },
      });
      return 0;
    });
  }

  /** Undoes withdraw() when the provider refused the release. */
  async restore(poolKey: string, number: string): Promise<void> {
    await this.prisma.$executeRaw(Prisma.sql`
      UPDATE secret_numbers SET state = 'active', released_at = NULL
       WHERE id = (SELECT id FROM secret_numbers WHERE pool_key = ${poolKey} AND number = ${number}
                    AND state = 'released' ORDER BY released_at DESC LIMIT 1)`);
  }

  /**
   * Records a health report for a held number (SecretExceptionPhoneReport) and where it came from.
   * A report older than the last one applied is ignored: the provider retries failed pushes, so
   * they can arrive out of order. A pushed report repeating the health a queued one set keeps the
   * queue as its source (an unproven copy must not weaken a proven report). Returns whether the
   * number's health was set.
   *
   * Routing caches drop X when its health changes (the secret_numbers trigger); a change of source
   * alone (a push's "abnormal" confirmed by the queue) is published here, in the same transaction,
   * on the trigger's channel, so every instance re-reads what routing may do with X.
   */
  async reportHealth(
    number: string,
    health: 'normal' | 'abnormal',
    at: Date,
    source: HealthSource,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ applied: number; sourceOnly: boolean | null }>>(
        Prisma.sql`
        WITH before AS (
          SELECT id, health, health_source FROM secret_numbers
           WHERE number = ${number} AND state <> 'released'
             AND (health_at IS NULL OR health_at <= ${at})
             FOR UPDATE),
        applied AS (
          UPDATE secret_numbers n
             SET health = ${health}::number_health, health_at = ${at},
                 health_source = CASE
                   WHEN b.health = ${health}::number_health AND b.health_source = 'queue'
                     THEN 'queue' ELSE ${source} END
            FROM before b WHERE n.id = b.id
          RETURNING b.health = n.health AND b.health_source IS DISTINCT FROM n.health_source
                    AS source_only)
        SELECT count(*)::int AS applied, bool_or(source_only) AS "sourceOnly" FROM applied`,
      );
      if (row?.sourceOnly) {
        await tx.$executeRaw(
          Prisma.sql`SELECT routing_cache_publish('x', ARRAY[to_json(${number}::text)::text])`,
        );
      }
      return (row?.applied ?? 0) > 0;
    });
  }
}

/** Per city and spec of a pool's held numbers: how many, healthy, live pairs, free pairs. */
function stockQuery(poolKey: string, maxPairs: number, now: Date): Prisma.Sql {
  return Prisma.sql`
      WITH held AS (
        SELECT n.number, n.city, n.spec, n.health, n.locked_at IS NOT NULL AS locked,
               x_live_pairs(n.number, ${now}) AS live
          FROM secret_numbers n
         WHERE n.pool_key = ${poolKey} AND n.state = 'active')
      SELECT city, spec::int AS spec,
             count(*)::int AS numbers,
             count(*) FILTER (WHERE health = 'normal')::int AS healthy,
             count(*) FILTER (WHERE locked)::int AS locked,
             coalesce(sum(live), 0)::int AS "livePairs",
             coalesce(sum(greatest(${maxPairs} - live, 0))
                        FILTER (WHERE health = 'normal' AND NOT locked), 0)::int
               AS "freePairs"
        FROM held GROUP BY city, spec ORDER BY city, spec`;
}

/** The spec of a number by its prefix: 170/171 virtual operator, 95 numbers, else carrier. */
export function specOf(number: string): 1 | 2 | 3 {
  if (/^17[01]/.test(number)) return 1;
  if (/^95/.test(number)) return 3;
  return 2;
}
