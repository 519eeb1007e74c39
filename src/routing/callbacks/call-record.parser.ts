import {
  callId,
  int,
  readableObject,
  subId,
  text,
  time,
  UnreadableReport,
  type Raw,
} from './report-fields.js';

/** One SecretReport record with every documented field, typed; `raw` keeps it as received. */
export interface CallRecordInput {
  callId: string;
  reportId: string | null;
  subId: string | null;
  outId: string | null;
  poolKey: string | null;
  partnerKey: string | null;
  phoneNo: string | null;
  peerNo: string | null;
  secretNo: string | null;
  calledDisplayNo: string | null;
  city: string | null;
  /** 0 A called B, 1 B called A, 4 intercepted by the platform. */
  callType: number | null;
  callTime: Date | null;
  callOutTime: Date | null;
  ringTime: Date | null;
  freeRingTime: Date | null;
  startTime: Date | null;
  releaseTime: Date | null;
  releaseDir: number | null;
  releaseCause: number | null;
  unconnectedCause: number | null;
  smsNumber: number | null;
  controlType: string | null;
  controlMsg: string | null;
  recordUrl: string | null;
  ringRecordUrl: string | null;
  raw: Raw;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Runs a reader, turning UnreadableReport into a problem; other errors are bugs and propagate. */
export function parseWith<T>(read: () => T): Parsed<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof UnreadableReport) return { ok: false, problem: error.message };
    throw error;
  }
}

/** Reads one SecretReport (see report-fields.ts for what makes a record unreadable). */
export function parseCallRecord(value: unknown, receivedAt: Date): Parsed<CallRecordInput> {
  return parseWith(() => {
    const raw = readableObject(value);
    return {
      callId: callId(raw),
      reportId: text(raw, 'id', 32),
      subId: subId(raw),
      outId: text(raw, 'out_id', 64),
      poolKey: text(raw, 'pool_key', 64),
      partnerKey: text(raw, 'partner_key', 64),
      phoneNo: text(raw, 'phone_no', 20),
      peerNo: text(raw, 'peer_no', 20),
      secretNo: text(raw, 'secret_no', 20),
      calledDisplayNo: text(raw, 'called_display_no', 20),
      city: text(raw, 'city', 32),
      callType: int(raw, 'call_type', 32767),
      callTime: time(raw, 'call_time', receivedAt),
      callOutTime: time(raw, 'call_out_time', receivedAt),
      ringTime: time(raw, 'ring_time', receivedAt),
      freeRingTime: time(raw, 'free_ring_time', receivedAt),
      startTime: time(raw, 'start_time', receivedAt),
      releaseTime: time(raw, 'release_time', receivedAt),
      releaseDir: int(raw, 'release_dir', 32767),
      releaseCause: int(raw, 'release_cause', 2 ** 31 - 1),
      unconnectedCause: int(raw, 'unconnected_cause', 2 ** 31 - 1),
      smsNumber: int(raw, 'sms_number', 2 ** 31 - 1),
      controlType: text(raw, 'control_type', 32),
      controlMsg: text(raw, 'control_msg', 256),
      recordUrl: text(raw, 'record_url', 2048),
      ringRecordUrl: text(raw, 'ring_record_url', 2048),
      raw,
    };
  });
}
