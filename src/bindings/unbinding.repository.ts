import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import {
  BINDING_BY_ID,
  BINDING_COLUMNS,
  qualified,
  toBinding,
  type BindingRow,
} from './binding-row.js';
import { EventKind } from './binding-states.js';
import type { EventOrigin } from './placement.repository.js';

// The order service's intent, recorded before the provider is asked: a live binding not past its
// expiry becomes `unbinding` (it routes nothing from now on and keeps its order and pairs), with
// an `unbind_requested` event naming the state it left.
// (The old state comes from the locked row of the FROM list: RETURNING only sees the new one.)
const REQUEST = `
  WITH b AS (
    UPDATE bindings b
       SET state = 'unbinding', updated_at = $2::timestamptz
      FROM (SELECT id, state FROM bindings WHERE id = $1::uuid FOR UPDATE) prev
     WHERE b.id = prev.id AND prev.state IN ('pending', 'active', 'unknown')
       AND b.expires_at > $2::timestamptz
    RETURNING ${qualified('b')}, prev.state AS previous_state
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, '${EventKind.unbindRequested}', $3, $2::timestamptz,
           $4::jsonb || jsonb_build_object('previousState', previous_state)
      FROM b
  )
  SELECT * FROM b`;

// The provider holds nothing of it any more: `unbound`, with the SubsId when one was learnt.
const FINISH = `
  WITH b AS (
    UPDATE bindings
       SET state = 'unbound', ended_at = $2::timestamptz, updated_at = $2::timestamptz,
           subs_id = coalesce($3, subs_id)
     WHERE id = $1::uuid AND state = 'unbinding'
    RETURNING ${BINDING_COLUMNS}
  ), e AS (
    INSERT INTO binding_events (binding_id, kind, actor, at, details)
    SELECT id, '${EventKind.unbound}', $4, $2::timestamptz, $5::jsonb FROM b
  )
  SELECT * FROM b`;

// UnbindSubscription did not confirm: the binding stays `unbinding`, the attempt is an event.
const FAILED = `
  INSERT INTO binding_events (binding_id, kind, actor, at, details)
  SELECT id, '${EventKind.unbindFailed}', $3, $2::timestamptz, $4::jsonb
    FROM bindings WHERE id = $1::uuid AND state = 'unbinding'`;

/** Unbinding at trip end, on plain `pg`: one statement per step, each with its event. */
@Injectable()
export class UnbindingRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(id: string): Promise<Binding | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({ ...BINDING_BY_ID, values: [id] });
    return rows[0] ? toBinding(rows[0]) : null;
  }

  /** Records the intent (`unbinding`); returns the binding as it is now, changed or not. */
  async request(id: string, origin: EventOrigin, now: Date): Promise<Binding | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-unbind-request',
      text: REQUEST,
      values: [id, now, origin.actor, JSON.stringify(origin.details)],
    });
    return rows[0] ? toBinding(rows[0]) : this.find(id);
  }

  /** `unbinding` → `unbound`; returns the binding as it is now, changed or not. */
  async finish(
    id: string,
    subsId: string | null,
    origin: EventOrigin,
    now: Date,
  ): Promise<Binding | null> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-unbind-finish',
      text: FINISH,
      values: [id, now, subsId, origin.actor, JSON.stringify(origin.details)],
    });
    return rows[0] ? toBinding(rows[0]) : this.find(id);
  }

  async failed(id: string, origin: EventOrigin, now: Date): Promise<void> {
    await this.prisma.pgPool.query({
      name: 'binding-unbind-failed',
      text: FAILED,
      values: [id, now, origin.actor, JSON.stringify(origin.details)],
    });
  }
}
