import type { CallRecord } from '../generated/prisma/client.js';

/** A call as the binding's history shows it. */
export interface CallView {
  callId: string;
  /**
   * Who called whom through X: call_type 0 is A calling B, 1 is B calling A; 4 a call the
   * platform intercepted (controlType / controlMsg say why).
   */
  direction: 'A-to-B' | 'B-to-A' | 'intercepted' | 'other';
  /** X's city, as the provider reports it. */
  city: string | null;
  /** A dialled X. */
  callTime: string | null;
  /** The platform dialled the other party. */
  callOutTime: string | null;
  /** The other party's phone rang. */
  ringTime: string | null;
  /** Answered (equals releaseTime when it was not). */
  startTime: string | null;
  releaseTime: string | null;
  /** Talk time, from answer (start_time) to release; 0 when unanswered. */
  durationSeconds: number | null;
  /** 0 the platform, 1 the caller, 2 the callee hung up. */
  releaseDir: number | null;
  /** Q.850 cause (16 normal clearing, 17 busy, 19 no answer…). */
  releaseCause: number | null;
  unconnectedCause: number | null;
  controlType: string | null;
  controlMsg: string | null;
  recordUrl: string | null;
  ringRecordUrl: string | null;
  /** When a SecretRecording message said the recording can be fetched (GET …/recording). */
  recordingReadyAt: string | null;
  /** A transcript is stored (GET /v1/calls/{callId}/transcript answers without asking). */
  transcriptReady: boolean;
  receivedAt: string;
}

export function callDirection(callType: number | null): CallView['direction'] {
  if (callType === 0) return 'A-to-B';
  if (callType === 1) return 'B-to-A';
  if (callType === 4) return 'intercepted';
  return 'other';
}

export function callDurationSeconds(start: Date | null, release: Date | null): number | null {
  if (!start || !release) return null;
  return Math.max(0, Math.round((release.getTime() - start.getTime()) / 1000));
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toCallView(record: CallRecord, transcribed = false): CallView {
  return {
    callId: record.callId,
    direction: callDirection(record.callType),
    city: record.city,
    callTime: iso(record.callTime),
    callOutTime: iso(record.callOutTime),
    ringTime: iso(record.ringTime),
    startTime: iso(record.startTime),
    releaseTime: iso(record.releaseTime),
    durationSeconds: callDurationSeconds(record.startTime, record.releaseTime),
    releaseDir: record.releaseDir,
    releaseCause: record.releaseCause,
    unconnectedCause: record.unconnectedCause,
    controlType: record.controlType,
    controlMsg: record.controlMsg,
    recordUrl: record.recordUrl,
    ringRecordUrl: record.ringRecordUrl,
    recordingReadyAt: iso(record.recordingReadyAt),
    transcriptReady: transcribed,
    receivedAt: record.receivedAt.toISOString(),
  };
}
