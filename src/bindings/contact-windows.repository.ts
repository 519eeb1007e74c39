import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { BINDING_COLUMNS, qualified, toBinding, type BindingRow } from './binding-row.js';
import { EventKind } from './binding-states.js';
import type { EventOrigin } from './placement.repository.js';

// The trip ended (the driver's direction already restricted at the provider): the record takes
// the restriction and the phase, the window is queued, one `trip_ended` event; only an active
// binding whose trip has not ended yet (a second request changes nothing).
const END_TRIP = `
  WITH b AS (
    UPDATE bindings
       SET call_restrict = $2, trip_ended_at = $3::timestamptz, contact_until = $4::timestamptz,
           updated_at = $3::timestamptz
     WHERE id = $1::uuid AND state = 'active' AND trip_ended_at IS NULL
    RETURNING ${BINDING_COLUMNS}
  ), w AS (
    INSERT INTO contact_windows (binding_id, closes_at, actor, request_id)
    SELECT id, $4::timestamptz, $5, $7 FROM b
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, '${EventKind.tripEnded}', $5, $3::timestamptz, $6::jsonb FROM b
  )
  SELECT * FROM b`;

// Windows due at $1, oldest first, that no other instance is closing (SKIP LOCKED): each is
// deleted and its binding, if still live and not past its expiry, asked to unbind (`unbinding`,
// one `unbind_requested` event naming the window) in the same statement. So a window closes
// exactly once, whichever instance takes it; the provider side is ended after the commit, and by
// reconciliation if this process stops before that (an `unbinding` binding is never forgotten).
// A binding that ended meanwhile only loses its window. (The old state comes from the locked row
// of `prev`: RETURNING only sees the new one.)
const CLOSE_DUE = `
  WITH due AS (
    DELETE FROM contact_windows w
     WHERE w.binding_id IN (SELECT binding_id FROM contact_windows
                             WHERE closes_at <= $1::timestamptz
                             ORDER BY closes_at LIMIT $2
                             FOR UPDATE SKIP LOCKED)
    RETURNING w.binding_id, w.closes_at, w.actor, w.request_id
  ), prev AS (
    SELECT b.id, b.state, due.closes_at, due.actor, due.request_id
      FROM bindings b JOIN due ON due.binding_id = b.id
       FOR UPDATE OF b
  ), b AS (
    UPDATE bindings b
       SET state = 'unbinding', updated_at = $1::timestamptz
      FROM prev
     WHERE b.id = prev.id AND prev.state IN ('pending', 'active', 'unknown')
       AND b.expires_at > $1::timestamptz
    RETURNING ${qualified('b')}, prev.state AS previous_state, prev.closes_at,
              prev.actor AS window_actor, prev.request_id AS window_request_id
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, '${EventKind.unbindRequested}', $3, $1::timestamptz,
           jsonb_build_object('reason', 'contact window closed', 'previousState', previous_state,
                              'contactUntil', closes_at, 'tripEndedBy', window_actor,
                              'requestId', window_request_id)
      FROM b
  )
  SELECT (SELECT count(*)::int FROM due) AS closed, b.* FROM (SELECT 1) one
    LEFT JOIN b ON true`;

/** What a pass over due windows did: how many it closed, and the bindings it asked to unbind. */
export interface ClosedWindows {
  closed: number;
  unbinding: Binding[];
}

/** Trip phases: the end of a trip, and the closing of its contact window (plain `pg`). */
@Injectable()
export class ContactWindowsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records the end of the trip; null when the binding is not active or its trip had ended. */
  async endTrip(
    id: string,
    restriction: string,
    now: Date,
    closesAt: Date,
    origin: EventOrigin,
  ): Promise<Binding | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-end-trip',
      text: END_TRIP,
      values: [
        id,
        restriction,
        now,
        closesAt,
        origin.actor,
        JSON.stringify(origin.details),
        (origin.details.requestId as string | null | undefined) ?? null,
      ],
    });
    return rows[0] ? toBinding(rows[0]) : null;
  }

  /** Closes up to `limit` windows due at `now` (see CLOSE_DUE). */
  async closeDue(now: Date, limit: number, actor: string): Promise<ClosedWindows> {
    const { rows } = await this.prisma.pgPool.query<BindingRow & { closed: number }>({
      name: 'contact-windows-close-due',
      text: CLOSE_DUE,
      values: [now, limit, actor],
    });
    return {
      closed: rows[0]?.closed ?? 0,
      unbinding: rows.filter((r) => r.id !== null).map(toBinding),
    };
  }
}
