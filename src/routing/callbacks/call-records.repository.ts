import { Injectable } from '@nestjs/common';
import { EventKind } from '../../bindings/binding-states.js';
import { PhoneHasher } from '../../common/privacy/phone-hasher.js';
import { PrismaService } from '../../prisma/prisma.service.js';
import { callDirection, callDurationSeconds } from '../../bindings/call-record.view.js';
import { BINDING_OF_REPORT } from './binding-of-report.sql.js';
import type { CallRecordInput } from './call-record.parser.js';

export interface StoredCall {
  callId: string;
  bindingId: string | null;
}

/**
 * One statement per batch: link each record to its binding, insert the records that are new
 * (a call_id already stored inserts nothing; call_records is partitioned by binding, so the
 * unique key is (call_id, binding_id) and catches a concurrent delivery of the same report), and
 * write a `call_recorded` event for each new linked record, in the same transaction.
 */
const STORE = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    call_id text, report_id text, sub_id text, out_id text, pool_key text, partner_key text,
    phone_no text, peer_no text, secret_no text, called_display_no text, city text,
    call_type smallint, call_time timestamptz, call_out_time timestamptz, ring_time timestamptz,
    free_ring_time timestamptz, start_time timestamptz, release_time timestamptz,
    release_dir smallint, release_cause int, unconnected_cause int, sms_number int,
    control_type text, control_msg text, record_url text, ring_record_url text, raw jsonb,
    details jsonb, at timestamptz, phone_no_hash text, peer_no_hash text)
), linked AS (
  SELECT r.*, ${BINDING_OF_REPORT} AS binding_id FROM input r
), inserted AS (
  INSERT INTO call_records (
    call_id, binding_id, report_id, sub_id, out_id, pool_key, partner_key, phone_no, peer_no,
    secret_no, called_display_no, city, call_type, call_time, call_out_time, ring_time,
    free_ring_time, start_time, release_time, release_dir, release_cause, unconnected_cause,
    sms_number, control_type, control_msg, record_url, ring_record_url, received_at, raw,
    recording_ready_at, phone_no_hash, peer_no_hash)
  SELECT l.call_id, l.binding_id, l.report_id, l.sub_id, l.out_id, l.pool_key, l.partner_key,
         l.phone_no, l.peer_no, l.secret_no, l.called_display_no, l.city, l.call_type,
         l.call_time, l.call_out_time, l.ring_time, l.free_ring_time, l.start_time,
         l.release_time, l.release_dir, l.release_cause, l.unconnected_cause, l.sms_number,
         l.control_type, l.control_msg, l.record_url, l.ring_record_url, $2, l.raw,
         NULL, decode(l.phone_no_hash, 'hex'), decode(l.peer_no_hash, 'hex')
    FROM linked l
   WHERE NOT EXISTS (SELECT 1 FROM call_records c WHERE c.call_id = l.call_id)
  ON CONFLICT (call_id, binding_id) DO NOTHING
  RETURNING call_id, binding_id
), events AS (
  INSERT INTO binding_events (binding_id, kind, actor, at, details)
  SELECT i.binding_id, '${EventKind.callRecorded}', 'provider', $2, l.details
    FROM inserted i JOIN linked l ON l.call_id = i.call_id
   WHERE i.binding_id IS NOT NULL
)
SELECT call_id AS "callId", binding_id AS "bindingId" FROM inserted`;

/**
 * Recordings and records travel in separate queues and may be stored at the same moment. Each
 * side marks the record after its own commit, so whichever commits last sees the other: the
 * record is marked whatever the order (see CallActivityRepository.storeRecordings).
 */
export const MARK_RECORDED = `
UPDATE call_records c SET recording_ready_at = r.received_at
  FROM call_recordings r
 WHERE c.call_id = r.call_id AND c.call_id = ANY($1::text[]) AND c.recording_ready_at IS NULL`;

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Call records (SecretReport), each stored once, linked to its binding. */
@Injectable()
export class CallRecordsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly hasher: PhoneHasher,
  ) {}

  /**
   * Stores the records whose call_id is new and returns them; the others were already stored.
   * Rejects with the database's error when the batch as a whole cannot be written.
   */
  async storeBatch(records: readonly CallRecordInput[], receivedAt: Date): Promise<StoredCall[]> {
    if (records.length === 0) return [];
    const rows = records.map((r) => ({
      call_id: r.callId,
      report_id: r.reportId,
      sub_id: r.subId,
      out_id: r.outId,
      pool_key: r.poolKey,
      partner_key: r.partnerKey,
      phone_no: r.phoneNo,
      peer_no: r.peerNo,
      secret_no: r.secretNo,
      called_display_no: r.calledDisplayNo,
      city: r.city,
      call_type: r.callType,
      call_time: iso(r.callTime),
      call_out_time: iso(r.callOutTime),
      ring_time: iso(r.ringTime),
      free_ring_time: iso(r.freeRingTime),
      start_time: iso(r.startTime),
      release_time: iso(r.releaseTime),
      release_dir: r.releaseDir,
      release_cause: r.releaseCause,
      unconnected_cause: r.unconnectedCause,
      sms_number: r.smsNumber,
      control_type: r.controlType,
      control_msg: r.controlMsg,
      record_url: r.recordUrl,
      ring_record_url: r.ringRecordUrl,
      raw: r.raw,
      // Keyed hashes written with the record: aging later rewrites no indexed column.
      phone_no_hash: r.phoneNo ? this.hasher.hash(r.phoneNo)?.toString('hex') : undefined,
      peer_no_hash: r.peerNo ? this.hasher.hash(r.peerNo)?.toString('hex') : undefined,
      at: iso(r.callTime ?? r.releaseTime),
      details: {
        callId: r.callId,
        direction: callDirection(r.callType),
        callTime: iso(r.callTime),
        durationSeconds: callDurationSeconds(r.startTime, r.releaseTime),
        releaseCause: r.releaseCause,
        recorded: r.recordUrl !== null,
        ...(r.controlType && r.controlType !== 'CONTINUE' ? { controlType: r.controlType } : {}),
      },
    }));
    const result = await this.prisma.pgPool.query<StoredCall>(STORE, [
      JSON.stringify(rows),
      receivedAt,
    ]);
    if (result.rows.length > 0) {
      await this.prisma.pgPool.query(MARK_RECORDED, [result.rows.map((r) => r.callId)]);
    }
    return result.rows;
  }
}
