import type { CallRecord } from '../generated/prisma/client.js';

/** A call as the binding's history shows it. */
export interface CallView {
  callId: string;
  /** Who called whom through X: call_type 0 is A calling B, 1 is B calling A. */
  direction: 'A-to-B' | 'B-to-A' | 'other';
  callTime: string | null;
  startTime: string | null;
  releaseTime: string | null;
  /** Talk time, from answer (start_time) to release; 0 when unanswered. */
  durationSeconds: number | null;
  releaseDir: number | null;
  /** Q.850 cause (16 normal clearing, 17 busy, 19 no answer…). */
  releaseCause: number | null;
  recordUrl: string | null;
  receivedAt: string;
}

export function callDirection(callType: number | null): CallView['direction'] {
  if (callType === 0) return 'A-to-B';
  if (callType === 1) return 'B-to-A';
  return 'other';
}

export function callDurationSeconds(start: Date | null, release: Date | null): number | null {
  if (!start || !release) return null;
  return Math.max(0, Math.round((release.getTime() - start.getTime()) / 1000));
}

export function toCallView(record: CallRecord): CallView {
  return {
    callId: record.callId,
    direction: callDirection(record.callType),
    callTime: record.callTime?.toISOString() ?? null,
    startTime: record.startTime?.toISOString() ?? null,
    releaseTime: record.releaseTime?.toISOString() ?? null,
    durationSeconds: callDurationSeconds(record.startTime, record.releaseTime),
    releaseDir: record.releaseDir,
    releaseCause: record.releaseCause,
    recordUrl: record.recordUrl,
    receivedAt: record.receivedAt.toISOString(),
  };
}
