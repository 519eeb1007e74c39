import { Injectable } from '@nestjs/common';
import { BINDING_COLUMNS, toBinding, type BindingRow } from '../bindings/binding-row.js';
import { EventKind, OPEN_STATES } from '../bindings/binding-states.js';
import type { Binding } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import { PrismaService } from '../prisma/prisma.service.js';

const OPEN = `(${OPEN_STATES.map((s) => `'${s}'`).join(', ')})`;

/**
 * SQL condition, the one definition of "awaiting reconciliation" (the job and the operations
 * view both use it; migration 20261123070100_reconcile_until_settled explains the columns):
 * binding `alias` has an open provider side (pending, unknown, unbinding) since before
 * `settledBefore` (binds still in flight are left alone), or it has ended (by expiry) while its
 * provider side was open and that side is still to be checked (`reconcile_after` set). Nothing
 * is ever dropped from it but by being settled. The first conjunct is the predicate of the
 * partial index bindings_reconcile_idx, written the same way so the planner uses it.
 */
export function awaitingReconciliation(alias: string, settledBefore: string): string {
  const a = alias;
  return `((${a}.state IN ${OPEN} OR ${a}.reconcile_after IS NOT NULL)
    AND (${a}.state NOT IN ${OPEN} OR ${a}.updated_at <= ${settledBefore}))`;
}

/** Awaiting, and its backoff (or another run's lease) has passed at `now`: a run takes it up. */
export function dueForReconciliation(alias: string, now: string, settledBefore: string): string {
  return `(${awaitingReconciliation(alias, settledBefore)}
    AND (${alias}.reconcile_after IS NULL OR ${alias}.reconcile_after <= ${now}))`;
}

const FIND_DUE = `
  SELECT b.id FROM bindings b
   WHERE ${dueForReconciliation('b', '$1::timestamptz', '$2::timestamptz')}
   ORDER BY b.updated_at
   LIMIT $3`;

// A run's claim on one binding: its next attempt moves to the end of the lease, so no other run
// (here or in another instance) takes it meanwhile; no row lock is held across provider calls.
const LEASE = `
  UPDATE bindings b SET reconcile_after = $4::timestamptz
   WHERE b.id = $1::uuid AND ${dueForReconciliation('b', '$2::timestamptz', '$3::timestamptz')}
  RETURNING ${BINDING_COLUMNS}`;

// A failed attempt: counted, and the next one waits (only while the lease is still this run's:
// a binding whose state changed meanwhile has been given new bookkeeping by that change).
const DEFER = `
  UPDATE bindings SET reconcile_attempts = reconcile_attempts + 1, reconcile_after = $3
   WHERE id = $1::uuid AND reconcile_after = $2::timestamptz`;

// A decision: the new state (or the same, for a provider check of an ended binding), the SubsId
// when one was learnt, the bookkeeping cleared, one event; only from the state it was made from.
const SETTLE = `
  WITH b AS (
    UPDATE bindings
       SET state = $2::binding_state, subs_id = coalesce($3, subs_id),
           phone_x = coalesce($4, phone_x), updated_at = $5::timestamptz,
           ended_at = CASE WHEN $2::binding_state IN ('failed', 'unbound') AND ended_at IS NULL
                           THEN $5::timestamptz ELSE ended_at END,
           reconcile_attempts = 0, reconcile_after = NULL
     WHERE id = $1::uuid AND state = $6::binding_state
    RETURNING ${BINDING_COLUMNS}
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, $7, $8, $5::timestamptz, $9::jsonb FROM b
  )
  SELECT * FROM b`;

const BACKLOG = `
  SELECT count(*)::int AS awaiting,
         count(*) FILTER (WHERE b.reconcile_after IS NULL OR b.reconcile_after <= $1)::int AS due,
         min(b.updated_at) AS "oldestSince",
         count(*) FILTER (WHERE b.state IN ('pending', 'unknown'))::int AS binds,
         count(*) FILTER (WHERE b.state = 'unbinding')::int AS unbinds,
         count(*) FILTER (WHERE b.state NOT IN ${OPEN})::int AS "providerChecks",
         coalesce(max(b.reconcile_attempts), 0)::int AS "maxAttempts"
    FROM bindings b
   WHERE ${awaitingReconciliation('b', '$2::timestamptz')}`;

/** How many bindings wait for reconciliation, since when, and for what. */
export interface ReconciliationBacklog {
  /** All awaiting, whether due now or waiting out a backoff. */
  awaiting: number;
  /** Of those, the ones the next run takes up. */
  due: number;
  /** The oldest one's last change: its wait began then. */
  oldestSince: Date | null;
  /** Open bind outcomes (pending, unknown). */
  binds: number;
  /** Unbinds to end at the provider. */
  unbinds: number;
  /** Ended bindings whose provider side is still to be checked. */
  providerChecks: number;
  /** Most failed attempts in a row of any of them. */
  maxAttempts: number;
}

/** A decision to write, from the state it was made from. */
export interface Settlement {
  from: BindingState;
  to: BindingState;
  subsId?: string | null;
  phoneX?: string | null;
  event: { kind: EventKind; actor: string; details: Record<string, unknown> };
}

/**
 * Finding, leasing and settling the bindings whose provider side is open (plain `pg`); the
 * backlog, which only operators read, on the admin reads' own pool.
 */
@Injectable()
export class ReconciliationRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly admin: AdminReadsDatabase,
  ) {}

  /** Ids of bindings due at `now`, longest waiting first. */
  async findDue(now: Date, settledBefore: Date, limit: number): Promise<string[]> {
    const { rows } = await this.prisma.pgPool.query<{ id: string }>({
      name: 'reconcile-find-due',
      text: FIND_DUE,
      values: [now, settledBefore, limit],
    });
    return rows.map((r) => r.id);
  }

  /** Claims the binding until `until` if it is still due; null when another run has it. */
  async lease(id: string, now: Date, settledBefore: Date, until: Date): Promise<Binding | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'reconcile-lease',
      text: LEASE,
      values: [id, now, settledBefore, until],
    });
    return rows[0] ? toBinding(rows[0]) : null;
  }

  /** One more failed attempt; the next waits until `next`. */
  async defer(id: string, lease: Date, next: Date): Promise<void> {
    await this.prisma.pgPool.query({
      name: 'reconcile-defer',
      text: DEFER,
      values: [id, lease, next],
    });
  }

  /** Writes a decision; null when the binding left `from` meanwhile (nothing written). */
  async settle(id: string, s: Settlement, now: Date): Promise<Binding | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'reconcile-settle',
      text: SETTLE,
      values: [
        id,
        s.to,
        s.subsId ?? null,
        s.phoneX ?? null,
        now,
        s.from,
        s.event.kind,
        s.event.actor,
        JSON.stringify(s.event.details),
      ],
    });
    return rows[0] ? toBinding(rows[0]) : null;
  }

  /** What operations watch (the console's Operations page, GET /v1/admin/operations, metrics). */
  async backlog(now: Date, settledBefore: Date): Promise<ReconciliationBacklog> {
    const rows = await this.admin.rows<ReconciliationBacklog>({
      name: 'reconcile-backlog',
      text: BACKLOG,
      values: [now, settledBefore],
    });
    return rows[0]!;
  }
}
