import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { EventKind } from '../bindings/binding-states.js';
import { PrismaService } from '../prisma/prisma.service.js';

export const SCHEDULER_ACTOR = 'scheduler';

/** SQL of the expiry sweep. */
@Injectable()
export class ExpiryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Expires up to `limit` live bindings whose expiry has passed, writing one `expired` event per
   * binding, in one statement (one transaction). The rows are claimed with FOR UPDATE SKIP
   * LOCKED: instances sweeping at once take disjoint rows, and a row another statement has just
   * ended is re-checked under its lock and dropped, so each binding is expired exactly once.
   * Returns how many were expired, by the state they left.
   */
  async expireDue(now: Date, limit: number): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRaw<Array<{ previous: string; n: number }>>(Prisma.sql`
      WITH due AS (
        SELECT id, state FROM bindings
         WHERE state IN ('pending', 'active', 'unknown') AND expires_at <= ${now}
         ORDER BY expires_at
         LIMIT ${limit}
         FOR UPDATE SKIP LOCKED
      ), ended AS (
        -- By primary key, not a join: a join lets the planner hash the whole table per batch.
        UPDATE bindings SET state = 'expired', ended_at = ${now}, updated_at = ${now}
         WHERE id = ANY (ARRAY(SELECT id FROM due)) AND state IN ('pending', 'active', 'unknown')
        RETURNING id
      ), logged AS (
        INSERT INTO binding_events (binding_id, kind, actor, at, details)
        SELECT id, ${EventKind.expired}, ${SCHEDULER_ACTOR}, ${now},
               jsonb_build_object('previousState', due.state)
          FROM ended JOIN due USING (id)
      )
      SELECT due.state::text AS previous, count(*)::int AS n
        FROM ended JOIN due USING (id) GROUP BY due.state`);
    return Object.fromEntries(rows.map((r) => [r.previous, r.n]));
  }
}
