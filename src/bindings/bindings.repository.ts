import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { Binding, BindingEvent, CallRecord } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { violatedUniqueIndex } from '../prisma/prisma-errors.js';
import { EventKind, LIVE_STATES, liveAt } from './binding-states.js';

export type Tx = Prisma.TransactionClient;

export interface NewBinding {
  poolKey: string;
  outId: string;
  phoneA: string;
  phoneB: string;
  city?: string;
  cityStrict: boolean;
  record: boolean;
  expiresAt: Date;
}

export interface EventInput {
  kind: EventKind;
  actor: string;
  details?: Prisma.InputJsonObject;
}

/**
 * Why a candidate X was passed over: released or unhealthy, a party already on it, no room, or
 * (when asked not to wait) another bind is placing a pair on it right now.
 */
export type SkipReason = 'gone' | 'conflict' | 'full' | 'busy';

/** The outcome of writing a pending binding onto a candidate X. */
export type PlaceResult =
  | { kind: 'placed'; binding: Binding }
  | { kind: 'skip'; reason: SkipReason }
  | { kind: 'duplicate-out-id' };

/** Persistence of bindings and their events; every state change writes its event in the same transaction. */
@Injectable()
export class BindingsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findById(id: string): Promise<Binding | null> {
    return this.prisma.binding.findUnique({ where: { id } });
  }

  findWithEvents(id: string): Promise<(Binding & { events: BindingEvent[] }) | null> {
    return this.prisma.binding.findUnique({
      where: { id },
      include: { events: { orderBy: [{ at: 'asc' }, { id: 'asc' }] } },
    });
  }

  findLiveByOutId(poolKey: string, outId: string): Promise<Binding | null> {
    return this.prisma.binding.findFirst({
      where: { poolKey, outId, state: { in: [...LIVE_STATES] } },
    });
  }

  addEvent(tx: Tx, bindingId: string, event: EventInput, at: Date): Promise<unknown> {
    return tx.bindingEvent.create({
      data: { bindingId, kind: event.kind, actor: event.actor, details: event.details ?? {}, at },
    });
  }

  /**
   * Writes a pending binding on candidate X, serialised per X by a lock on the number's row:
   * within the lock the X's load and conflicts are current, so capacity and the
   * "no shared party on one X" rule hold under any concurrency; the partial unique indexes are
   * the backstop. Overdue live bindings involving A or B on X are expired first, so they free
   * their pairs without waiting for the sweep.
   */
  async placePending(
    input: NewBinding,
    phoneX: string | null,
    maxPairs: number,
    event: EventInput,
    now: Date,
    wait = true,
  ): Promise<PlaceResult> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        if (phoneX !== null) {
          const refused = await this.claimX(tx, input.poolKey, phoneX, input, maxPairs, now, wait);
          if (refused) return { kind: 'skip', reason: refused } as const;
        }
        const binding = await tx.binding.create({
          data: { ...input, phoneX, state: 'pending', createdAt: now, updatedAt: now },
        });
        await this.addEvent(tx, binding.id, event, now);
        return { kind: 'placed', binding } as const;
      });
    } catch (error) {
      const index = violatedUniqueIndex(error);
      if (index === 'bindings_live_out_id_key') return { kind: 'duplicate-out-id' };
      if (index === 'bindings_live_x_a_key' || index === 'bindings_live_x_b_key') {
        return { kind: 'skip', reason: 'conflict' };
      }
      throw error;
    }
  }

  /**
   * Locks X's row and decides whether the pair may go on it now: the number is still held and
   * healthy, no live binding on it involves A or B (in either role), and it has room.
   */
  private async claimX(
    tx: Tx,
    poolKey: string,
    phoneX: string,
    pair: { phoneA: string; phoneB: string },
    maxPairs: number,
    now: Date,
    wait: boolean,
  ): Promise<SkipReason | undefined> {
    const lock = wait ? Prisma.sql`FOR UPDATE` : Prisma.sql`FOR UPDATE SKIP LOCKED`;
    const held = await tx.$queryRaw<unknown[]>(Prisma.sql`
      SELECT 1 FROM secret_numbers
       WHERE number = ${phoneX} AND pool_key = ${poolKey} AND state = 'active' AND health = 'normal'
       ${lock}`);
    if (held.length === 0) {
      if (wait) return 'gone';
      // Locked by a concurrent bind, or no longer usable: a second look without SKIP LOCKED tells.
      const [row] = await tx.$queryRaw<unknown[]>(Prisma.sql`
        SELECT 1 FROM secret_numbers
         WHERE number = ${phoneX} AND pool_key = ${poolKey} AND state = 'active' AND health = 'normal'`);
      return row ? 'busy' : 'gone';
    }
    const parties = [pair.phoneA, pair.phoneB];
    await this.expireOverdueOnX(tx, phoneX, parties, now);
    const [stats] = await tx.$queryRaw<Array<{ load: number; clash: boolean }>>(Prisma.sql`
      SELECT count(*)::int AS load,
             coalesce(bool_or(b.phone_a = ANY(${parties}::text[])
                           OR b.phone_b = ANY(${parties}::text[])), false) AS clash
        FROM bindings b WHERE b.phone_x = ${phoneX} AND ${liveAt('b', now)}`);
    if (stats?.clash) return 'conflict';
    if ((stats?.load ?? 0) >= maxPairs) return 'full';
    return undefined;
  }

  /** Marks live bindings on X involving any of `phones` whose expiry has passed as expired. */
  async expireOverdueOnX(tx: Tx, phoneX: string, phones: string[], now: Date): Promise<void> {
    const expired = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
      UPDATE bindings SET state = 'expired', ended_at = ${now}, updated_at = ${now}
       WHERE phone_x = ${phoneX}
         AND state IN ('pending', 'active', 'unknown') AND expires_at <= ${now}
         AND (phone_a = ANY(${phones}::text[]) OR phone_b = ANY(${phones}::text[]))
      RETURNING id`);
    for (const { id } of expired) {
      await this.addEvent(
        tx,
        id,
        { kind: EventKind.expired, actor: 'bind', details: { reason: 'pair reused after expiry' } },
        now,
      );
    }
  }

  /** Moves X of a still-pending binding to another candidate (after a provider BIND_CONFLICT). */
  async movePending(
    binding: Binding,
    phoneX: string | null,
    maxPairs: number,
    event: EventInput,
    now: Date,
    wait = true,
  ): Promise<PlaceResult> {
    // Release the old placement and take the new one atomically, under the new X's lock.
    try {
      return await this.prisma.$transaction(async (tx) => {
        await tx.binding.update({
          where: { id: binding.id },
          data: { phoneX: null, updatedAt: now },
        });
        if (phoneX !== null) {
          const refused = await this.claimX(
            tx,
            binding.poolKey,
            phoneX,
            binding,
            maxPairs,
            now,
            wait,
          );
          if (refused) throw new SkipPlacement(refused);
        }
        const moved = await tx.binding.update({
          where: { id: binding.id },
          data: { phoneX, updatedAt: now },
        });
        await this.addEvent(tx, binding.id, event, now);
        return { kind: 'placed', binding: moved } as const;
      });
    } catch (error) {
      if (error instanceof SkipPlacement) return { kind: 'skip', reason: error.reason };
      const index = violatedUniqueIndex(error);
      if (index === 'bindings_live_x_a_key' || index === 'bindings_live_x_b_key') {
        return { kind: 'skip', reason: 'conflict' };
      }
      throw error;
    }
  }

  /**
   * Applies a state change and its event atomically (plus `also`, in the same transaction);
   * returns the updated binding.
   */
  async transition(
    id: string,
    data: Prisma.BindingUncheckedUpdateInput,
    event: EventInput,
    now: Date,
    tx?: Tx,
    also?: (tx: Tx) => Promise<unknown>,
  ): Promise<Binding> {
    const run = async (t: Tx) => {
      const updated = await t.binding.update({ where: { id }, data: { ...data, updatedAt: now } });
      await this.addEvent(t, id, event, now);
      await also?.(t);
      return updated;
    };
    return tx ? run(tx) : this.prisma.$transaction(run);
  }

  /**
   * Expires the binding if it is still live with its expiry passed; true when this call did it
   * (so that concurrent callers write one event).
   */
  async expireIfOverdue(id: string, actor: string, now: Date): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const done = await tx.$executeRaw(Prisma.sql`
        UPDATE bindings SET state = 'expired', ended_at = ${now}, updated_at = ${now}
         WHERE id = ${id}::uuid AND state IN ('pending', 'active', 'unknown') AND expires_at <= ${now}`);
      if (done === 0) return false;
      await this.addEvent(tx, id, { kind: EventKind.expired, actor, details: {} }, now);
      return true;
    });
  }

  /** One of `phones` that is a party of another live binding on X, if any. */
  async partyOnX(
    phoneX: string,
    phones: string[],
    exceptId: string,
    now: Date,
  ): Promise<string | undefined> {
    const [row] = await this.prisma.$queryRaw<
      Array<{ phone_a: string; phone_b: string }>
    >(Prisma.sql`
      SELECT b.phone_a, b.phone_b FROM bindings b
       WHERE b.phone_x = ${phoneX} AND b.id <> ${exceptId}::uuid AND ${liveAt('b', now)}
         AND (b.phone_a = ANY(${phones}::text[]) OR b.phone_b = ANY(${phones}::text[]))
       LIMIT 1`);
    if (!row) return undefined;
    return phones.find((p) => p === row.phone_a || p === row.phone_b);
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

  /** The binding's calls as the provider reported them, in call order. */
  findCalls(bindingId: string): Promise<CallRecord[]> {
    return this.prisma.callRecord.findMany({
      where: { bindingId },
      orderBy: [{ callTime: 'asc' }, { id: 'asc' }],
    });
  }

  /** Number of recorded calls per binding, for a page of search results. */
  async countCalls(bindingIds: string[]): Promise<Map<string, number>> {
    if (bindingIds.length === 0) return new Map();
    const rows = await this.prisma.callRecord.groupBy({
      by: ['bindingId'],
      where: { bindingId: { in: bindingIds } },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.bindingId!, r._count._all]));
  }
}

class SkipPlacement extends Error {
  constructor(readonly reason: SkipReason) {
    super(reason);
  }
}
