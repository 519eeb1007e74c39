import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { BINDING_COLUMNS, toBinding, type BindingRow } from './binding-row.js';
import { EventKind } from './binding-states.js';
import type { EventOrigin } from './placement.repository.js';

// Each settle is one statement: the state change and its event, only from an open outcome (a
// binding the sweep or the reconciler has settled meanwhile is left as it is).
const BOUND = `
  WITH b AS (
    UPDATE bindings SET state = 'active', subs_id = $2, updated_at = $3::timestamptz
     WHERE id = $1::uuid AND state = 'pending'
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

const BY_ID = `SELECT ${BINDING_COLUMNS} FROM bindings WHERE id = $1::uuid`;

/** The end of a bind attempt: the provider's answer recorded on the pending binding (plain `pg`). */
@Injectable()
export class SettlementRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** BindAxb answered: `active` with its SubsId, and a `bound` event. */
  async bound(id: string, subsId: string, origin: EventOrigin, now: Date): Promise<Binding> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-settle-bound',
      text: BOUND,
      values: [id, subsId, now, origin.actor, JSON.stringify(origin.details)],
    });
    return rows[0] ? toBinding(rows[0]) : this.current(id);
  }

  /**
   * BindAxb failed: `failed` when the provider certainly did not bind, else `unknown` (for the
   * reconciler), with a `failed` or `outcome_unknown` event.
   */
  async unsettled(
    id: string,
    state: 'failed' | 'unknown',
    origin: EventOrigin,
    now: Date,
  ): Promise<Binding> {
    const kind = state === 'failed' ? EventKind.failed : EventKind.outcomeUnknown;
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-settle-unsettled',
      text: UNSETTLED,
      values: [id, state, now, kind, origin.actor, JSON.stringify(origin.details)],
    });
    return rows[0] ? toBinding(rows[0]) : this.current(id);
  }

  private async current(id: string): Promise<Binding> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-by-id',
      text: BY_ID,
      values: [id],
    });
    if (!rows[0]) throw new Error(`binding ${id} vanished while it was being settled`);
    return toBinding(rows[0]);
  }
}
