import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { statementLimit } from '../prisma/statement-limit.js';
import { BINDING_BY_ID, BINDING_COLUMNS, toBinding, type BindingRow } from './binding-row.js';
import { EventKind } from './binding-states.js';
import { PlacementRepository, type EventOrigin } from './placement.repository.js';

// Each settle is one statement: the state change and its event, only from an open outcome (a
// binding the sweep or the reconciler has settled meanwhile is left as it is). It writes only
// unindexed columns of the record (a HOT update); the reconciliation queue and the SubsId's
// lookup row follow by trigger (prisma/sql/). BindAxb's answers are settled by settle_bound()
// (prisma/sql/050_bind_path.sql), in the placements' batches (PlacementRepository.bound).
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
 * Answers that arrive while others are being written are written together, with the placements
 * of that moment (the same group commit: BIND_BATCH_SIZE, BIND_BATCH_CONCURRENCY). BindService
 * bounds each wait and retries a settle briefly when the database is unavailable.
 */
@Injectable()
export class SettlementRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly placements: PlacementRepository,
  ) {}

  /** BindAxb answered: `active` with its SubsId (or the SubsId only, when unbinding), `bound` event. */
  async bound(
    id: string,
    subsId: string,
    origin: EventOrigin,
    now: Date,
    timeoutMs?: number,
  ): Promise<Binding> {
    const settled = await this.placements.bound({ id, subsId, origin, now });
    return settled ?? this.current(id, timeoutMs);
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
