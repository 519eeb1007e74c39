import { parseWith, type Parsed } from './call-record.parser.js';
import { anyTime, callId, readableObject, subId, text } from './report-fields.js';

/** SecretRecording: the recording of a call can now be fetched (QueryRecordFileDownloadUrl). */
export interface CallRecordingInput {
  callId: string;
  subId: string | null;
  poolKey: string | null;
  outId: string | null;
  callTime: Date | null;
}

export function parseCallRecording(value: unknown, receivedAt: Date): Parsed<CallRecordingInput> {
  return parseWith(() => {
    const raw = readableObject(value);
    return {
      callId: callId(raw),
      subId: subId(raw),
      poolKey: text(raw, 'pool_key', 64),
      outId: text(raw, 'out_id', 64),
      callTime: anyTime(raw, 'call_time', receivedAt),
    };
  });
}
