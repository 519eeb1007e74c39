import { Injectable } from '@nestjs/common';
import { BINDING_COLUMNS, qualified, toBinding, type BindingRow } from '../bindings/binding-row.js';
import type { EventKind } from '../bindings/binding-states.js';
import type { Binding } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import { PrismaService } from '../prisma/prisma.service.js';

/**
 * SQL condition, the one definition of "awaiting reconciliation" (the job and the operations
 * view both use it): queue row `q` (reconcile_queue, kept by prisma/sql/040_reconcile_queue.sql)
 * of binding `b` whose provider side is open (pending, unknown, unbinding) since before
 * `settledBefore` (binds still in flight are left alone), or which ended (by expiry) while open
 * and whose provider side is still to be checked. Nothing is ever dropped from it but by being
 * settled.
 */
export function awaitingReconciliation(q: string, b: string, settledBefore: string): string {
  return `(NOT binding_state_open(${b}.state) OR ${q}.since <= ${settledBefore})`;
}

/** Awaiting, and its backoff (or another run's lease) has passed at `now`: a run takes it up. */
export function dueForReconciliation(
  q: string,
  b: string,
  now: string,
  settledBefore: string,
): string {
  return `(${awaitingReconciliation(q, b, settledBefore)}
    AND (${q}.next_at IS NULL OR ${q}.next_at <= ${now}))`;
}

const FIND_DUE = `
  SELECT q.binding_id AS id FROM reconcile_queue q JOIN bindings b ON b.id = q.binding_id
   WHERE ${dueForReconciliation('q', 'b', '$1::timestamptz', '$2::timestamptz')}
   ORDER BY q.since
   LIMIT $3`;

// A run's claim on one binding: its next attempt moves to the end of the lease, so no other run
// (here or in another instance) takes it meanwhile; no row lock is held across provider calls.
const LEASE = `
  WITH q AS (
    UPDATE reconcile_queue q SET next_at = $4::timestamptz
      FROM bindings b
     WHERE q.binding_id = $1::uuid AND b.id = q.binding_id
       AND ${dueForReconciliation('q', 'b', '$2::timestamptz', '$3::timestamptz')}
    RETURNING q.binding_id, q.attempts
  )
  SELECT ${qualified('b')}, q.attempts FROM q JOIN bindings b ON b.id = q.binding_id`;

// A failed attempt: counted, and the next one waits (only while the lease is still this run's:
// a binding whose state changed meanwhile has been requeued afresh by that change).
const DEFER = `
  UPDATE reconcile_queue SET attempts = attempts + 1, next_at = $3
   WHERE binding_id = $1::uuid AND next_at = $2::timestamptz`;

// A decision: the new state (or the same, for a provider check of an ended binding), the SubsId
// when one was learnt, one event; only from the state it was made from. A binding left in an open
// state stays queued (the trigger requeues it on the change); otherwise it leaves the queue.
const SETTLE = `
  WITH b AS (
    UPDATE bindings
       SET state = $2::binding_state, subs_id = coalesce($3, subs_id),
           phone_x = coalesce($4, phone_x), updated_at = $5::timestamptz,
           ended_at = CASE WHEN $2::binding_state IN ('failed', 'unbound') AND ended_at IS NULL
                           THEN $5::timestamptz ELSE ended_at END
     WHERE id = $1::uuid AND state = $6::binding_state
    RETURNING ${BINDING_COLUMNS}
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, $7, $8, $5::timestamptz, $9::jsonb FROM b
  ), q AS (
    DELETE FROM reconcile_queue q USING b
     WHERE q.binding_id = b.id AND NOT binding_state_open($2::binding_state)
  )
  SELECT * FROM b`;

const BACKLOG = `
  SELECT count(*)::int AS awaiting,
         count(*) FILTER (WHERE q.next_at IS NULL OR q.next_at <= $1)::int AS due,
         min(q.since) AS "oldestSince",
         count(*) FILTER (WHERE b.state IN ('pending', 'unknown'))::int AS binds,
         count(*) FILTER (WHERE b.state = 'unbinding')::int AS unbinds,
         count(*) FILTER (WHERE NOT binding_state_open(b.state))::int AS "providerChecks",
         coalesce(max(q.attempts), 0)::int AS "maxAttempts"
    FROM reconcile_queue q JOIN bindings b ON b.id = q.binding_id
   WHERE ${awaitingReconciliation('q', 'b', '$2::timestamptz')}`;

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
 * Finding, leasing and settling the bindings whose provider side is open (plain `pg`), through
 * the small reconcile_queue rather than an index over the record's `state`; the backlog, which
 * only operators read, on the admin reads' own pool.
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

  /**
   * Claims the binding until `until` if it is still due; null when another run has it. Answers
   * the binding and its failed attempts so far.
   */
  async lease(
    id: string,
    now: Date,
    settledBefore: Date,
    until: Date,
  ): Promise<{ binding: Binding; attempts: number } | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow & { attempts: number }>({
      name: 'reconcile-lease',
      text: LEASE,
      values: [id, now, settledBefore, until],
    });
    return rows[0] ? { binding: toBinding(rows[0]), attempts: rows[0].attempts } : null;
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
