import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { Binding } from '../generated/prisma/client.js';
import { EventKind } from '../bindings/binding-states.js';
import type { Tx } from '../bindings/bindings.repository.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** SQL condition: binding `alias` was held by reconciliation (its SubsId cannot be learnt). */
function isHeld(alias: string): Prisma.Sql {
  const a = Prisma.raw(alias);
  return Prisma.sql`EXISTS (
    SELECT 1 FROM binding_events e
     WHERE e.binding_id = ${a}.id AND e.kind = ${EventKind.reconciled}
       AND e.details ->> 'decision' = 'held')`;
}

/**
 * SQL condition, the one definition of "awaiting reconciliation": binding `alias` is pending or
 * unknown since before `settledBefore` (binds still in flight are left alone), not yet expired,
 * and not held. The job and the operations view both use it.
 */
export function awaitingReconciliation(alias: string, now: Date, settledBefore: Date): Prisma.Sql {
  const a = Prisma.raw(alias);
  return Prisma.sql`(${a}.state IN ('pending', 'unknown') AND ${a}.updated_at <= ${settledBefore}
    AND ${a}.expires_at > ${now} AND NOT ${isHeld(alias)})`;
}

/** Finding and locking the bindings whose bind outcome is still open. */
@Injectable()
export class ReconciliationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Ids of bindings pending or unknown since before `settledBefore` and not yet expired, oldest
   * first. Those already held (a provider binding exists whose SubsId cannot be learnt) are left
   * out: asking again would only meet the same conflict; the sweep ends them at their expiry.
   */
  async findUnsettled(now: Date, settledBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>(Prisma.sql`
      SELECT b.id FROM bindings b
       WHERE ${awaitingReconciliation('b', now, settledBefore)}
       ORDER BY b.updated_at
       LIMIT ${limit}`);
    return rows.map((r) => r.id);
  }

  /**
   * What operations watch: how many bindings the next run would take up and since when the
   * oldest has waited, and how many are held (live until their expiry, not asked about again).
   */
  async backlog(
    now: Date,
    settledBefore: Date,
  ): Promise<{ awaiting: number; oldestSince: Date | null; held: number }> {
    const [row] = await this.prisma.$queryRaw<
      Array<{ awaiting: number; oldestSince: Date | null; held: number }>
    >(Prisma.sql`
      SELECT count(*) FILTER (WHERE ${awaitingReconciliation('b', now, settledBefore)})::int
               AS awaiting,
             min(b.updated_at) FILTER (WHERE ${awaitingReconciliation('b', now, settledBefore)})
               AS "oldestSince",
             count(*) FILTER (WHERE b.state = 'unknown' AND b.expires_at > ${now}
                                AND ${isHeld('b')})::int AS held
        FROM bindings b
       WHERE b.state IN ('pending', 'unknown')`);
    return row ?? { awaiting: 0, oldestSince: null, held: 0 };
  }

  /**
   * Runs `work` with the binding's row locked, if it is still pending or unknown and no other
   * instance is reconciling it right now (SKIP LOCKED); otherwise returns null. The lock is held
   * across the provider call, so two instances never ask about (or re-bind) the same binding at
   * once and the decision is written against the state it was made from.
   */
  async withUnsettled<T>(
    id: string,
    timeoutMs: number,
    work: (tx: Tx, binding: Binding) => Promise<T>,
  ): Promise<T | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const locked = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
          SELECT id FROM bindings
           WHERE id = ${id}::uuid AND state IN ('pending', 'unknown')
           FOR UPDATE SKIP LOCKED`);
        if (locked.length === 0) return null;
        const binding = await tx.binding.findUnique({ where: { id } });
        return binding ? work(tx, binding) : null;
      },
      { timeout: timeoutMs, maxWait: 5_000 },
    );
  }
}
