import type { Binding } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';

/** A `bindings` row as `pg` returns it (timestamptz parsed to Date, jsonb to values). */
export interface BindingRow {
  id: string;
  pool_key: string;
  out_id: string;
  phone_a: string;
  phone_b: string;
  phone_x: string | null;
  subs_id: string | null;
  city: string | null;
  city_strict: boolean;
  record: boolean;
  state: BindingState;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
  // Call control and trip phase (issue 23).
  out_order_id: string | null;
  call_restrict: string | null;
  call_display_type: number | null;
  call_timeout: number | null;
  ring_config: Binding['ringConfig'];
  dtmf_config: Binding['dtmfConfig'];
  asr_status: boolean;
  asr_model_id: string | null;
  trip_ended_at: Date | null;
  contact_until: Date | null;
  /** The caller group that made it (issue 27; binding-owner.ts). */
  owner: string | null;
  // Privacy aging and erasure (issue 22); absent from the bind path's rows (a binding it returns
  // is live, never aged).
  aged_at?: Date | null;
  erased_at?: Date | null;
}

/** The columns of BindingRow, for statements that select or return a whole binding. */
export const BINDING_COLUMNS = `id, pool_key, out_id, phone_a, phone_b, phone_x, subs_id, city,
  city_strict, record, state, expires_at, created_at, updated_at, ended_at,
  out_order_id, call_restrict, call_display_type, call_timeout, ring_config, dtmf_config,
  asr_status, asr_model_id, trip_ended_at, contact_until, owner, aged_at, erased_at`;

/** BINDING_COLUMNS of table alias `alias` (for statements that join another row set). */
export function qualified(alias: string): string {
  return BINDING_COLUMNS.split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');
}

/** The same Binding the Prisma client returns, from a raw row of the hot path. */
export function toBinding(row: BindingRow): Binding {
  return {
    id: row.id,
    poolKey: row.pool_key,
    outId: row.out_id,
    phoneA: row.phone_a,
    phoneB: row.phone_b,
    phoneX: row.phone_x,
    subsId: row.subs_id,
    city: row.city,
    cityStrict: row.city_strict,
    record: row.record,
    state: row.state,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
    outOrderId: row.out_order_id,
    callRestrict: row.call_restrict,
    callDisplayType: row.call_display_type,
    callTimeout: row.call_timeout,
    ringConfig: row.ring_config,
    dtmfConfig: row.dtmf_config,
    asrStatus: row.asr_status,
    asrModelId: row.asr_model_id,
    tripEndedAt: row.trip_ended_at,
    contactUntil: row.contact_until,
    owner: row.owner,
    // The hashes never leave the database: a search compares them there.
    phoneAHash: null,
    phoneBHash: null,
    agedAt: row.aged_at ?? null,
    erasedAt: row.erased_at ?? null,
  };
}

/** One binding by primary key, as a BindingRow (a named, prepared statement). */
export const BINDING_BY_ID = {
  name: 'binding-by-id',
  text: `SELECT ${BINDING_COLUMNS} FROM bindings WHERE id = $1::uuid`,
};
