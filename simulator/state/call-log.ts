import type { AsrSentence } from '../../src/protocol/secret-asr.js';

/** What the platform keeps of a simulated call, for QueryRecordFileDownloadUrl and GetSecretAsrDetail. */
export interface LoggedCall {
  callId: string;
  poolKey: string;
  subsId: string;
  secretNo: string;
  /** call_time, epoch ms (simulated clock). */
  callAt: number;
  /** The recording's object name, when the call was recorded. */
  recordingObject: string | null;
  /** The transcript, when the call was recorded with ASR on. */
  asr: { bizDurationMs: number; sentences: AsrSentence[] } | null;
}

/** Alibaba keeps recordings 30 days; the log forgets calls beyond this many (oldest first). */
const MAX_CALLS = 10_000;

export class CallLog {
  private readonly calls = new Map<string, LoggedCall>();

  add(call: LoggedCall): void {
    this.calls.set(call.callId, call);
    if (this.calls.size > MAX_CALLS) {
      const oldest = this.calls.keys().next().value;
      if (oldest !== undefined) this.calls.delete(oldest);
    }
  }

  get(callId: string): LoggedCall | undefined {
    return this.calls.get(callId);
  }
}
