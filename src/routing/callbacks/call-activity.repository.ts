import { Injectable } from '@nestjs/common';
import { EventKind } from '../../bindings/binding-states.js';
import { PrismaService } from '../../prisma/prisma.service.js';
import { BINDING_OF_REPORT } from './binding-of-report.sql.js';
import { MARK_RECORDED } from './call-records.repository.js';
import type { CallProgressInput } from './call-progress.parser.js';
import type { CallRecordingInput } from './call-recording.parser.js';

/** A stage seen for the first time writes a `call_progress` event on the call's binding. */
const STORE_PROGRESS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    call_id text, stage text, sub_id text, out_id text, pool_key text, at timestamptz)
), inserted AS (
  INSERT INTO call_progress (call_id, stage, binding_id, sub_id, at, received_at)
  SELECT r.call_id, r.stage, ${BINDING_OF_REPORT}, r.sub_id, r.at, $2 FROM input r
   WHERE NOT EXISTS (SELECT 1 FROM call_progress p WHERE p.call_id = r.call_id AND p.stage = r.stage)
  ON CONFLICT (call_id, stage, binding_id) DO NOTHING
  RETURNING call_id, stage, binding_id, at
), events AS (
  INSERT INTO binding_events (binding_id, kind, actor, at, details)
  SELECT binding_id, '${EventKind.callProgress}', 'provider', $2,
         jsonb_build_object('callId', call_id, 'stage', stage, 'at', at)
    FROM inserted WHERE binding_id IS NOT NULL
)
SELECT count(*)::int AS stored FROM inserted`;

/** Kept whatever the order; the call record is marked after the commit (MARK_RECORDED). */
const STORE_RECORDINGS = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    call_id text, sub_id text, pool_key text, out_id text, call_time timestamptz)
), inserted AS (
  INSERT INTO call_recordings (call_id, sub_id, pool_key, out_id, call_time, received_at)
  SELECT call_id, sub_id, pool_key, out_id, call_time, $2 FROM input
  ON CONFLICT (call_id) DO NOTHING
  RETURNING call_id
)
SELECT call_id AS "callId" FROM inserted`;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** What happens around a call besides its record: progress stages and recordings. */
@Injectable()
export class CallActivityRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Returns how many of the stages were new. */
  async storeProgress(items: readonly CallProgressInput[], receivedAt: Date): Promise<number> {
    if (items.length === 0) return 0;
    const rows = items.map((p) => ({
      call_id: p.callId,
      stage: p.stage,
      sub_id: p.subId,
      out_id: p.outId,
      pool_key: p.poolKey,
      at: iso(p.at),
    }));
    const result = await this.prisma.pgPool.query<{ stored: number }>(STORE_PROGRESS, [
      JSON.stringify(rows),
      receivedAt,
    ]);
    return result.rows[0]?.stored ?? 0;
  }

  /** Returns how many of the recordings were new. */
  async storeRecordings(items: readonly CallRecordingInput[], receivedAt: Date): Promise<number> {
    if (items.length === 0) return 0;
    const rows = items.map((r) => ({
      call_id: r.callId,
      sub_id: r.subId,
      pool_key: r.poolKey,
      out_id: r.outId,
      call_time: iso(r.callTime),
    }));
    const result = await this.prisma.pgPool.query<{ callId: string }>(STORE_RECORDINGS, [
      JSON.stringify(rows),
      receivedAt,
    ]);
    if (result.rows.length > 0) {
      await this.prisma.pgPool.query(MARK_RECORDED, [result.rows.map((r) => r.callId)]);
    }
    return result.rows.length;
  }
}
