import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { statementLimit } from '../prisma/statement-limit.js';
import { BINDING_BY_ID, BINDING_COLUMNS, toBinding, type BindingRow } from './binding-row.js';
import { EventKind } from './binding-states.js';
import type { EventOrigin } from './placement.repository.js';

// Each settle is one statement: the state change and its event, only from an open outcome (a
// binding the sweep or the reconciler has settled meanwhile is left as it is). It writes only
// unindexed columns of the record (a HOT update); the reconciliation queue and the SubsId's
// lookup row follow by trigger (prisma/sql/).
//
// BindAxb answered: a pending binding becomes `active` with its SubsId. One the order service
// asked to unbind while the bind was in flight (`unbinding`, no SubsId yet) only records the
// SubsId, so the unbind that follows can address it; it never becomes active again.
const BOUND = `
  WITH b AS (
    UPDATE bindings
       SET state = CASE WHEN state = 'pending' THEN 'active'::binding_state ELSE state END,
           subs_id = $2, updated_at = $3::timestamptz
     WHERE id = $1::uuid AND (state = 'pending' OR (state = 'unbinding' AND subs_id IS NULL))
    RETURNING ${BINDING_COLUMNS}
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, '${EventKind.bound}', $4, $3::timestamptz, $5::jsonb FROM b
  )
  SELECT * FROM b`;

const UNSETTLED = `
  WITH b AS (
    UPDATE bindings
       SET state = $2::binding_state, updated_at = $3::timestamptz,
           ended_at = CASE WHEN $2::binding_state = 'failed' THEN $3::timestamptz END
     WHERE id = $1::uuid AND state = 'pending'
    RETURNING ${BINDING_COLUMNS}
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, $4, $5, $3::timestamptz, $6::jsonb FROM b
  )
  SELECT * FROM b`;

/**
 * The end of a bind attempt: the provider's answer recorded on the pending binding (plain `pg`).
 * Each write takes the time it may use (`timeoutMs`, the client-side statement limit): BindService
 * retries a settle briefly when the database is unavailable.
 */
@Injectable()
export class SettlementRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** BindAxb answered: `active` with its SubsId (or the SubsId only, when unbinding), `bound` event. */
  async bound(
    id: string,
    subsId: string,
    origin: EventOrigin,
    now: Date,
    timeoutMs?: number,
  ): Promise<Binding> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-settle-bound',
      text: BOUND,
      values: [id, subsId, now, origin.actor, JSON.stringify(origin.details)],
      ...statementLimit(timeoutMs),
    });
    return rows[0] ? toBinding(rows[0]) : this.current(id, timeoutMs);
  }

  /**
   * BindAxb failed: `failed` when the provider certainly did not bind, else `unknown` (for the
   * reconciler), with a `failed` or `outcome_unknown` event. Only from `pending`: a binding the
   * order service asked to unbind meanwhile is returned as it is.
   */
  async unsettled(
    id: string,
    state: 'failed' | 'unknown',
    origin: EventOrigin,
    now: Date,
    timeoutMs?: number,
  ): Promise<Binding> {
    const kind = state === 'failed' ? EventKind.failed : EventKind.outcomeUnknown;
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-settle-unsettled',
      text: UNSETTLED,
      values: [id, state, now, kind, origin.actor, JSON.stringify(origin.details)],
      ...statementLimit(timeoutMs),
    });
    return rows[0] ? toBinding(rows[0]) : this.current(id, timeoutMs);
  }

  private async current(id: string, timeoutMs?: number): Promise<Binding> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      ...BINDING_BY_ID,
      values: [id],
      ...statementLimit(timeoutMs),
    });
    if (!rows[0]) throw new Error(`binding ${id} vanished while it was being settled`);
    return toBinding(rows[0]);
  }
}
