import { Injectable } from '@nestjs/common';
import type { BindingState } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';

export interface ExpireOptions {
  now: Date;
  /** Who or what ended it: the event's actor. */
  actor: string;
  /** Merged into each `expired` event's details (which always carry `previousState`). */
  details?: Record<string, unknown>;
  /**
   * Only a binding whose expiry has passed at `now` (a bind, an update or a lookup that finds it
   * overdue); otherwise any live binding (the provider says it has expired although ours has not).
   */
  onlyIfOverdue: boolean;
  /**
   * The caller has just asked the provider, which reports the binding expired there. Otherwise a
   * binding whose provider side was open (pending, unknown, unbinding) is left due for
   * reconciliation's provider check.
   */
  providerChecked?: boolean;
}

/** Bindings a call ended, by the state each one left. */
export type ExpiredByState = Partial<Record<BindingState, number>>;

/** A sweep's batch: what it ended, and the expiry its due pairs went up to (null: none ended). */
export interface DueBatch {
  expired: ExpiredByState;
  dueThrough: Date | null;
}

// Both go through the one SQL operation, expire_bindings(): lock, end, one event each.
const EXPIRE_IDS = `SELECT binding_id FROM expire_bindings($1::uuid[], NULL, $2, $3, $4::jsonb, $5, $6)`;

// The sweep's batch: due rows of one stripe that no other sweep has taken (SKIP LOCKED), oldest
// first from $6 on (the expiry the worker's last batch went up to).
const EXPIRE_DUE = `
  SELECT previous_state::text AS state, count(*)::int AS n, max(due_through) AS due_through
    FROM expire_bindings(NULL, $2, $1, $3, '{}'::jsonb, true, false, $4, $5, $6)
   GROUP BY previous_state`;

/** Stripe `index` of `count` of the due bindings (by a random byte of the id): disjoint. */
export interface ExpiryStripe {
  index: number;
  count: number;
}

/**
 * The one way a binding becomes `expired` (one whose provider side was open stays due for
 * reconciliation's provider check): the sweep, a bind or update that finds it overdue, and
 * a routing lookup the provider answers with "expired" all use it (plain `pg`, one statement).
 */
@Injectable()
export class BindingExpiryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Expires the binding if it is still live (and overdue, when asked); true when this call did. */
  async expire(id: string, options: ExpireOptions): Promise<boolean> {
    const { rowCount } = await this.prisma.pgPool.query({
      name: 'binding-expire-ids',
      text: EXPIRE_IDS,
      values: [
        [id],
        options.now,
        options.actor,
        JSON.stringify(options.details ?? {}),
        options.onlyIfOverdue,
        options.providerChecked ?? false,
      ],
    });
    return (rowCount ?? 0) > 0;
  }

  /**
   * Expires up to `limit` live bindings whose expiry has passed at `now` (of one stripe of them,
   * when given; only those due from `dueFrom` on, when given), in one statement; instances
   * sweeping at once take disjoint rows. Returns how many ended, by the state they left, and
   * the expiry the batch's due pairs went up to: the next batch of the stripe starts there.
   */
  async expireDue(
    now: Date,
    limit: number,
    actor: string,
    stripe: ExpiryStripe = { index: 0, count: 1 },
    dueFrom: Date | null = null,
  ): Promise<DueBatch> {
    const { rows } = await this.prisma.pgPool.query<{
      state: BindingState;
      n: number;
      due_through: Date | null;
    }>({
      name: 'binding-expire-due',
      text: EXPIRE_DUE,
      values: [now, limit, actor, stripe.index, stripe.count, dueFrom],
    });
    return {
      expired: Object.fromEntries(rows.map((r) => [r.state, r.n])),
      dueThrough: rows[0]?.due_through ?? null,
    };
  }
}
