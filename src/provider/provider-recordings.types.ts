import type { AsrSentence } from '../protocol/secret-asr.js';

/**
 * Recordings and transcripts of calls (QueryRecordFileDownloadUrl, GetSecretAsrDetail): both are
 * addressed by the call record's call_id and call_time, in the pool that carried the call.
 */
export interface CallRef {
  poolKey: string;
  /** SecretReport / SecretRecording `call_id`. */
  callId: string;
  /** The call's `call_time`; sent as `YYYY-MM-DD hh:mm:ss` Beijing time (never epoch). */
  callTime: Date;
}

/** A signed download link of a call's recording. */
export interface RecordingLink {
  url: string;
  /**
   * When the link stops working: its OSS `Expires` when the URL carries one, else the documented
   * 2 hours after the answer. Reuse the link until shortly before this.
   */
  expiresAt: Date;
}

/** GetSecretAsrDetail's `Data`: the recognition result of one recorded call. */
export interface AsrDetail {
  /** `Data.Code`: "21050000" (ASR_SUCCESS_CODE) when recognition succeeded. */
  statusCode: string | null;
  /** `Data.Msg`, e.g. SUCCESS. */
  statusMessage: string | null;
  /** Length of the recognised audio, ms. */
  bizDurationMs: number | null;
  sentences: AsrSentence[];
  businessId: string | null;
}
