import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { Binding } from '../generated/prisma/client.js';
import { EventKind } from '../bindings/binding-states.js';
import type { Tx } from '../bindings/bindings.repository.js';
import { PrismaService } from '../prisma/prisma.service.js';

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
       WHERE b.state IN ('pending', 'unknown') AND b.updated_at <= ${settledBefore}
         AND b.expires_at > ${now}
         AND NOT EXISTS (
           SELECT 1 FROM binding_events e
            WHERE e.binding_id = b.id AND e.kind = ${EventKind.reconciled}
              AND e.details ->> 'decision' = 'held')
       ORDER BY b.updated_at
       LIMIT ${limit}`);
    return rows.map((r) => r.id);
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
