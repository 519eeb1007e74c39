import { Injectable } from '@nestjs/common';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Binding, BindingEvent, CallRecord, RoutedCount } from '../generated/prisma/client.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import { PrismaService } from '../prisma/prisma.service.js';
import type { EventKind } from './binding-states.js';

export type Tx = Prisma.TransactionClient;

export interface EventInput {
  kind: EventKind;
  actor: string;
  details?: Prisma.InputJsonObject;
}

/**
 * Bindings and their events through Prisma, for the paths where its ergonomics pay (changes,
 * unbind, reconciliation, admin reads); every state change writes its event in the same
 * transaction. The bind path itself is on `pg`: placement.repository.ts, settlement.repository.ts.
 * The admin's history reads (a binding with its events, its calls) run on the admin reads' own
 * pool (AdminReadsDatabase).
 */
@Injectable()
export class BindingsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly admin: AdminReadsDatabase,
    private readonly hasher: PhoneHasher,
  ) {}

  findById(id: string): Promise<Binding | null> {
    return this.prisma.binding.findUnique({ where: { id } });
  }

  /** Admin read (its own pool). */
  findWithEvents(id: string): Promise<(Binding & { events: BindingEvent[] }) | null> {
    return this.admin.read((db) =>
      db.binding.findUnique({
        where: { id },
        include: { events: { orderBy: [{ at: 'asc' }, { id: 'asc' }] } },
      }),
    );
  }

  addEvent(tx: Tx, bindingId: string, event: EventInput, at: Date): Promise<unknown> {
    return tx.bindingEvent.create({
      data: { bindingId, kind: event.kind, actor: event.actor, details: event.details ?? {}, at },
    });
  }

  /** Applies a state change and its event atomically; returns the updated binding. */
  async transition(
    id: string,
    data: Prisma.BindingUncheckedUpdateInput,
    event: EventInput,
    now: Date,
    tx?: Tx,
  ): Promise<Binding> {
    // A new party's number comes with its keyed hash (search by phone goes through it; without
    // a secret none, and search reads the number itself).
    const hashOf = (phone: string) => {
      const hash = this.hasher.hash(phone);
      return hash ? new Uint8Array(hash) : null;
    };
    const hashes: Prisma.BindingUncheckedUpdateInput = {};
    if (typeof data.phoneA === 'string') hashes.phoneAHash = hashOf(data.phoneA);
    if (typeof data.phoneB === 'string') hashes.phoneBHash = hashOf(data.phoneB);
    const run = async (t: Tx) => {
      const updated = await t.binding.update({
        where: { id },
        data: { ...data, ...hashes, updatedAt: now },
      });
      await this.addEvent(t, id, event, now);
      return updated;
    };
    return tx ? run(tx) : this.prisma.$transaction(run);
  }

  /** One of `phones` that is a party of another live binding on X, if any. */
  async partyOnX(
    phoneX: string,
    phones: string[],
    exceptId: string,
    now: Date,
  ): Promise<string | undefined> {
    const [row] = await this.prisma.$queryRaw<Array<{ a: string; b: string }>>(Prisma.sql`
      SELECT lp.a, lp.b FROM live_pairs lp
       WHERE lp.x = ${phoneX} AND lp.binding_id <> ${exceptId}::uuid
         AND lp.expires_at > ${now}
         AND (lp.a = ANY(${phones}::text[]) OR lp.b = ANY(${phones}::text[]))
       LIMIT 1`);
    if (!row) return undefined;
    return phones.find((p) => p === row.a || p === row.b);
  }

  /** Whether another live binding of the pool holds the order id (live_pairs_order_key). */
  async liveOrderHolder(poolKey: string, outId: string, exceptId: string): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>(Prisma.sql`
      SELECT lp.binding_id AS id FROM live_pairs lp
       WHERE lp.pool_key = ${poolKey} AND lp.out_id = ${outId}
         AND lp.binding_id <> ${exceptId}::uuid`);
    return rows.length > 0;
  }

  /** Runs `work` with the binding's row locked, for changes that must not interleave. */
  withLockedBinding<T>(
    id: string,
    work: (tx: Tx, binding: Binding | null) => Promise<T>,
  ): Promise<T> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<Array<{ id: string }>>(
        Prisma.sql`SELECT id FROM bindings WHERE id = ${id}::uuid FOR UPDATE`,
      );
      const binding = row ? await tx.binding.findUnique({ where: { id } }) : null;
      return work(tx, binding);
    });
  }

  /** The binding's calls as the provider reported them, in call order (admin read). */
  findCalls(bindingId: string): Promise<CallRecord[]> {
    return this.admin.read((db) =>
      db.callRecord.findMany({
        where: { bindingId },
        orderBy: [{ callTime: 'asc' }, { id: 'asc' }],
      }),
    );
  }

  /** Which of these calls have a stored transcript (call_transcripts). */
  async transcribedCalls(callIds: string[]): Promise<Set<string>> {
    if (callIds.length === 0) return new Set();
    const rows = await this.prisma.callTranscript.findMany({
      where: { callId: { in: callIds } },
      select: { callId: true },
    });
    return new Set(rows.map((r) => r.callId));
  }

  /** The binding's routing decisions, counted per caller and outcome, first counted first (admin read). */
  findRoutedCounts(bindingId: string): Promise<RoutedCount[]> {
    return this.admin.read((db) =>
      db.routedCount.findMany({
        where: { bindingId },
        orderBy: [{ firstAt: 'asc' }, { caller: 'asc' }, { outcome: 'asc' }],
      }),
    );
  }

  /** Number of recorded calls per binding, for a page of search results (admin read). */
  /**
   * Calls of each binding of a search page, one count per id (its own named statement on the
   * admin pool). Each id is counted by itself (a correlated count over `unnest`): call records
   * are partitioned on binding_id, so Postgres prunes every other month partition as it reaches
   * each id and reads one short range of (binding_id, call_time) there. A page of a frequent
   * number spans months; an `IN (…50 ids)` over the parent sent all 50 ids into every month
   * partition any of them fell in — 300 to 1,000 index pages a page instead of ~2 per binding.
   */
  async countCalls(bindingIds: string[]): Promise<Map<string, number>> {
    if (bindingIds.length === 0) return new Map();
    const rows = await this.admin.rows<{ binding_id: string; calls: number }>(
      CALLS_PER_BINDING(bindingIds),
    );
    return new Map(rows.map((r) => [r.binding_id, r.calls]));
  }
}

/** Calls of each binding id (see BindingsRepository.countCalls). */
const CALLS_PER_BINDING = (ids: string[]) => ({
  name: 'binding-page-call-counts',
  text: `SELECT t.id AS binding_id,
                (SELECT count(*) FROM call_records c WHERE c.binding_id = t.id)::int AS calls
           FROM unnest($1::uuid[]) AS t(id)`,
  values: [ids],
});
