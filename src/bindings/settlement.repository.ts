import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { statementLimit } from '../prisma/statement-limit.js';
import { Inject } from '@nestjs/common';
import { Batcher } from '../common/async/batcher.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  BINDING_BY_ID,
  BINDING_COLUMNS,
  qualified,
  toBinding,
  type BindingRow,
} from './binding-row.js';
import { EventKind } from './binding-states.js';
import type { EventOrigin } from './placement.repository.js';

// Each settle is one statement: the state change and its event, only from an open outcome (a
// binding the sweep or the reconciler has settled meanwhile is left as it is). It writes only
// unindexed columns of the record (a HOT update); the reconciliation queue and the SubsId's
// lookup row follow by trigger (prisma/sql/).
//
// BindAxb answered, for a batch of binds (one statement, one commit): a pending binding becomes
// `active` with its SubsId. One the order service asked to unbind while the bind was in flight
// (`unbinding`, no SubsId yet) only records the SubsId, so the unbind that follows can address
// it; it never becomes active again. Rows of bindings settled by someone else meanwhile are not
// returned (each is read as it is).
export const BOUND_SQL = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id uuid, subs text, actor text, details jsonb)
  ), b AS (
    UPDATE bindings
       SET state = CASE WHEN bindings.state = 'pending' THEN 'active'::binding_state
                        ELSE bindings.state END,
           subs_id = i.subs, updated_at = $2::timestamptz
      FROM input i
     WHERE bindings.id = i.id
       AND (bindings.state = 'pending' OR (bindings.state = 'unbinding' AND bindings.subs_id IS NULL))
    RETURNING ${qualified('bindings')}
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT b.id, '${EventKind.bound}', i.actor, $2::timestamptz, i.details
      FROM b JOIN input i ON i.id = b.id
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

interface BoundAnswer {
  id: string;
  subsId: string;
  origin: EventOrigin;
  now: Date;
}

/**
 * The end of a bind attempt: the provider's answer recorded on the pending binding (plain `pg`).
 * Answers that arrive while others are being written are written together (the same group
 * commit as placements: BIND_BATCH_SIZE, BIND_BATCH_CONCURRENCY). BindService bounds each wait
 * and retries a settle briefly when the database is unavailable.
 */
@Injectable()
export class SettlementRepository {
  private readonly boundBatcher: Batcher<BoundAnswer, Binding | null>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.boundBatcher = new Batcher(
      (answers) => this.boundBatch(answers),
      config.bindings.batchSize,
      config.bindings.batchConcurrency,
    );
  }

  /** BindAxb answered: `active` with its SubsId (or the SubsId only, when unbinding), `bound` event. */
  async bound(
    id: string,
    subsId: string,
    origin: EventOrigin,
    now: Date,
    timeoutMs?: number,
  ): Promise<Binding> {
    const settled = await this.boundBatcher.submit({ id, subsId, origin, now });
    return settled ?? this.current(id, timeoutMs);
  }

  private async boundBatch(answers: BoundAnswer[]): Promise<Array<Binding | null>> {
    const now = answers.reduce((t, a) => (a.now > t ? a.now : t), answers[0]!.now);
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-settle-bound',
      text: BOUND_SQL,
      values: [
        JSON.stringify(
          answers.map((a) => ({
            id: a.id,
            subs: a.subsId,
            actor: a.origin.actor,
            details: a.origin.details,
          })),
        ),
        now,
      ],
    });
    const byId = new Map(rows.map((r) => [r.id, toBinding(r)]));
    return answers.map((a) => byId.get(a.id) ?? null);
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
