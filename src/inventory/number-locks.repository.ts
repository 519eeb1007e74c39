import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** A held number's lock as the API shows it. */
export interface NumberLock {
  number: string;
  lockedAt: Date | null;
  lockedBy: string | null;
  /** Live bindings on it (they go on at the provider; routing refuses them here). */
  liveBindings: number;
}

/** The lock of held numbers (secret_numbers.locked_at): claim_x() never claims a locked X. */
@Injectable()
export class NumberLocksRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Locks a number the pool holds (a lock already set keeps its time and author); null when the
   * pool does not hold it. `wasLocked` tells whether it was locked before.
   */
  async lock(
    poolKey: string,
    number: string,
    actor: string,
    now: Date,
  ): Promise<(NumberLock & { wasLocked: boolean }) | null> {
    const [row] = await this.prisma.$queryRaw<Array<NumberLock & { wasLocked: boolean }>>(
      Prisma.sql`
        UPDATE secret_numbers n
           SET locked_at = coalesce(prev.locked_at, ${now}),
               locked_by = CASE WHEN prev.locked_at IS NULL THEN ${actor} ELSE prev.locked_by END
          FROM (SELECT id, locked_at, locked_by FROM secret_numbers
                 WHERE pool_key = ${poolKey} AND number = ${number} AND state = 'active'
                   FOR UPDATE) prev
         WHERE n.id = prev.id
        RETURNING n.number, n.locked_at AS "lockedAt", n.locked_by AS "lockedBy",
                  prev.locked_at IS NOT NULL AS "wasLocked",
                  x_live_pairs(n.number, ${now}) AS "liveBindings"`,
    );
    return row ?? null;
  }

  /** Clears the lock of a number the pool holds; null when the pool does not hold it. */
  async unlock(poolKey: string, number: string, now: Date): Promise<NumberLock | null> {
    const [row] = await this.prisma.$queryRaw<NumberLock[]>(Prisma.sql`
      UPDATE secret_numbers SET locked_at = NULL, locked_by = NULL
       WHERE pool_key = ${poolKey} AND number = ${number} AND state = 'active'
      RETURNING number, locked_at AS "lockedAt", locked_by AS "lockedBy",
                x_live_pairs(number, ${now}) AS "liveBindings"`);
    return row ?? null;
  }

  /** The lock of a number the pool holds, or null. */
  async find(poolKey: string, number: string, now: Date): Promise<NumberLock | null> {
    const [row] = await this.prisma.$queryRaw<NumberLock[]>(Prisma.sql`
      SELECT number, locked_at AS "lockedAt", locked_by AS "lockedBy",
             x_live_pairs(number, ${now}) AS "liveBindings"
        FROM secret_numbers
       WHERE pool_key = ${poolKey} AND number = ${number} AND state = 'active'`);
    return row ?? null;
  }
}
