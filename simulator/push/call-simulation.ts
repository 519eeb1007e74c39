import { restrictionBlocks } from '../../src/protocol/call-control.js';
import type { Binding } from '../state/bindings.js';
import type { SimulatorState } from '../state/simulator-state.js';
import { transcriptOf } from './asr-transcript.js';
import {
  buildAsrReport,
  buildCallRecord,
  buildProgressReports,
  buildRecordingReport,
  callTimeline,
  recordingObject,
  type Interception,
  type SimulatedCall,
} from './reports.js';

/** A call placed through the control API (`POST /_sim/calls`). */
export interface CallRequest {
  caller: 'A' | 'B';
  durationSeconds?: number;
  releaseCause?: number;
  record?: boolean;
  /** Force an interception the rules would not make (unconnected_cause 4). */
  intercepted?: boolean;
  /** What the parties say (alternating, caller first), for the transcript when ASR is on. */
  transcript?: string[];
  /** Publish the SecretReport twice, as the platform may. */
  duplicate?: boolean;
}

export interface CallOutcome {
  record: Record<string, unknown>;
  copies: number;
  interception: Interception | null;
}

/**
 * What the platform does to a call from A or B to X, before anyone rings: the pool's blacklist
 * (unconnected_cause 1), then the binding's one-way restriction (3). Number locks do not stop
 * calls: Alibaba documents a lock as "not chosen for new bindings" only.
 */
export function interceptionOf(
  state: SimulatorState,
  binding: Binding,
  request: Pick<CallRequest, 'caller' | 'intercepted'>,
): Interception | null {
  const [from, to] =
    request.caller === 'A'
      ? [binding.phoneNoA, binding.phoneNoB]
      : [binding.phoneNoB, binding.phoneNoA];
  const listed = state.blacklist.blocking(binding.poolKey, from, to);
  if (listed) {
    return { unconnectedCause: 1, message: `黑名单拦截 (${listed.blackType})` };
  }
  const restrict = binding.settings.callRestrict;
  if (restrictionBlocks(restrict, request.caller)) {
    return { unconnectedCause: 3, message: `呼叫限制 (${restrict})` };
  }
  return request.intercepted ? { unconnectedCause: 4, message: '呼叫拦截' } : null;
}

/**
 * Plays one call on a live binding: decides interception, then publishes what the platform
 * sends, in order — SecretStartReport, SecretRingReport, SecretPickUpReport as far as the call
 * got, the SecretReport (twice with `duplicate`), and for a recorded call SecretRecording and,
 * with ASR on, SecretAsrReport. The call is logged for QueryRecordFileDownloadUrl and
 * GetSecretAsrDetail. HTTP pushes are the caller's.
 */
export function simulateCall(
  state: SimulatorState,
  binding: Binding,
  request: CallRequest,
): CallOutcome {
  const interception = interceptionOf(state, binding, request);
  const call: SimulatedCall = { ...request, interception };
  const t = callTimeline(state, binding, call);
  const record = buildCallRecord(state, binding, call, t);
  const copies = request.duplicate ? 2 : 1;
  for (const progress of buildProgressReports(state, binding, call, t)) {
    state.alicom.publish(progress.type, progress.record);
  }
  for (let i = 0; i < copies; i += 1) state.alicom.publish('SecretReport', record);
  const durationMs = t.releaseAt - t.startAt;
  const asr =
    t.recorded && binding.settings.asrStatus
      ? { bizDurationMs: durationMs, sentences: transcriptOf(durationMs, request.transcript) }
      : null;
  if (t.recorded) state.alicom.publish('SecretRecording', buildRecordingReport(binding, t));
  if (asr) state.alicom.publish('SecretAsrReport', buildAsrReport(binding, t, asr));
  state.calls.add({
    callId: t.callId,
    poolKey: binding.poolKey,
    subsId: binding.subsId,
    secretNo: binding.secretNo,
    callAt: t.callAt,
    recordingObject: t.recorded ? recordingObject(binding, t) : null,
    asr,
  });
  return { record, copies, interception };
}
