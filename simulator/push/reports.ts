import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { ASR_SUCCESS_CODE, type AsrSentence } from '../../src/protocol/secret-asr.js';
import type { Binding } from '../state/bindings.js';
import type { SimulatorState } from '../state/simulator-state.js';

export interface SimulatedCall {
  caller: 'A' | 'B';
  /** Talk time; 0 means the call was not answered. Default 60. */
  durationSeconds?: number;
  /** Q.850 cause; default 16 (normal clearing), 19 (no answer) when unanswered. */
  releaseCause?: number;
  /** Overrides the binding's NeedRecord for record_url. */
  record?: boolean;
  /** Set when the platform blocked the call (call_type 4, control_type REJECT): nobody rang. */
  interception?: Interception | null;
}

/**
 * Why the platform blocked a call, as SecretReport / SecretStartReport say it: unconnected_cause
 * 1 blacklist, 3 call restriction, 4 other; control_msg in words.
 */
export interface Interception {
  unconnectedCause: 1 | 3 | 4;
  message: string;
}

/** A SecretReport's record_url / ring_record_url live 7 days (the MNS page; 30 on the HTTP one). */
const RECORD_URL_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const RING_SECONDS = 5;
const SETUP_SECONDS = 2;

/** The moments of one simulated call, epoch ms, ending at the simulated now. */
export interface CallTimeline {
  callId: string;
  callAt: number;
  callOutAt: number;
  ringAt: number;
  startAt: number;
  releaseAt: number;
  answered: boolean;
  recorded: boolean;
  intercepted: boolean;
}

export function callTimeline(
  state: SimulatorState,
  binding: Binding,
  call: SimulatedCall,
): CallTimeline {
  const intercepted = Boolean(call.interception);
  const duration = intercepted ? 0 : Math.max(0, Math.floor(call.durationSeconds ?? 60));
  const answered = duration > 0;
  const releaseAt = state.clock.now();
  const startAt = releaseAt - duration * 1000;
  const rang = !intercepted;
  const ringAt = startAt - (answered ? RING_SECONDS : 0) * 1000;
  const callOutAt = rang ? ringAt - SETUP_SECONDS * 1000 : releaseAt;
  const callAt = rang ? callOutAt - 1000 : releaseAt;
  return {
    callId: state.nextCallId(),
    callAt,
    callOutAt,
    ringAt: rang ? ringAt : callOutAt,
    startAt: answered ? startAt : releaseAt,
    releaseAt,
    answered,
    recorded: (call.record ?? binding.needRecord) && answered,
    intercepted,
  };
}

/** The recording's object name (and the ring-back recording's), `<subsId>_<callId>.wav`. */
export function recordingObject(binding: Binding, t: CallTimeline, ring = false): string {
  return `${binding.subsId}_${t.callId}${ring ? '_ring' : ''}.wav`;
}

const at = (ms: number) => formatProviderDate(new Date(ms));

/** Fields every per-call message carries. */
function callParties(
  state: SimulatorState,
  binding: Binding,
  call: SimulatedCall,
  t: CallTimeline,
) {
  return {
    call_id: t.callId,
    // A JSON number, exact even beyond 2^53 (BigInt, written by stringifyWithBigIntegers).
    sub_id: BigInt(binding.subsId),
    pool_key: binding.poolKey,
    phone_no: binding.phoneNoA,
    secret_no: binding.secretNo,
    peer_no: binding.phoneNoB,
    call_type: t.intercepted ? 4 : call.caller === 'A' ? 0 : 1,
    call_time: at(t.callAt),
    city: state.stock.get(binding.secretNo)?.city ?? '',
    out_id: binding.outId ?? '',
  };
}

/**
 * One SecretReport (call record) with every field Alibaba documents: snake_case, numbers where
 * the platform sends numbers (id, sub_id, call_type, release_dir, release_cause,
 * unconnected_cause), times as `YYYY-MM-DD hh:mm:ss` Beijing time. phone_no is always A and
 * peer_no B; call_type 0 means A called B, 1 that B called A, 4 that the platform intercepted it.
 * record_url and ring_record_url are links the simulator signs and serves (valid 7 days).
 */
export function buildCallRecord(
  state: SimulatorState,
  binding: Binding,
  call: SimulatedCall,
  t: CallTimeline,
): Record<string, unknown> {
  return {
    id: state.nextRecordId(),
    ...callParties(state, binding, call, t),
    partner_key: binding.poolKey,
    called_display_no: binding.secretNo,
    call_out_time: at(t.callOutAt),
    ring_time: at(t.ringAt),
    free_ring_time: at(t.ringAt),
    start_time: at(t.startAt),
    release_time: at(t.releaseAt),
    release_dir: t.intercepted ? 0 : 1,
    release_cause: call.releaseCause ?? (t.answered ? 16 : t.intercepted ? 21 : 19),
    ...control(call),
    record_url: t.recorded ? recordUrl(state, binding, t, false) : '',
    ring_record_url: t.recorded ? recordUrl(state, binding, t, true) : '',
  };
}

/** unconnected_cause, control_type, control_msg: 0 / CONTINUE / OK unless the call was blocked. */
function control(call: SimulatedCall) {
  const blocked = call.interception;
  return {
    unconnected_cause: blocked ? blocked.unconnectedCause : 0,
    control_type: blocked ? 'REJECT' : 'CONTINUE',
    control_msg: blocked ? blocked.message : 'OK',
  };
}

function recordUrl(state: SimulatorState, binding: Binding, t: CallTimeline, ring: boolean) {
  const expires = Math.floor((t.releaseAt + RECORD_URL_TTL_MS) / 1000);
  return state.recordings.url(recordingObject(binding, t, ring), expires);
}

/** SecretStartReport, SecretRingReport and SecretPickUpReport of the call, as far as it got. */
export function buildProgressReports(
  state: SimulatorState,
  binding: Binding,
  call: SimulatedCall,
  t: CallTimeline,
): Array<{
  type: 'SecretStartReport' | 'SecretRingReport' | 'SecretPickUpReport';
  record: object;
}> {
  const parties = callParties(state, binding, call, t);
  const reports: Array<{
    type: 'SecretStartReport' | 'SecretRingReport' | 'SecretPickUpReport';
    record: object;
  }> = [{ type: 'SecretStartReport', record: { ...parties, ...control(call) } }];
  if (t.intercepted) return reports;
  reports.push({ type: 'SecretRingReport', record: { ...parties, ring_time: at(t.ringAt) } });
  if (t.answered) {
    reports.push({
      type: 'SecretPickUpReport',
      record: { ...parties, ring_time: at(t.ringAt), start_time: at(t.startAt) },
    });
  }
  return reports;
}

/** SecretRecording: the recording of a call is ready (call_time in epoch ms, as documented). */
export function buildRecordingReport(binding: Binding, t: CallTimeline): Record<string, unknown> {
  return {
    pool_key: binding.poolKey,
    sub_id: BigInt(binding.subsId),
    call_id: t.callId,
    call_time: t.callAt,
    out_id: binding.outId ?? '',
  };
}

/**
 * SecretAsrReport: the transcript of a recorded call, with the fields of Alibaba's page (callId,
 * bizDuration ms, partnerKey, secretNo, statusCode, sentences); in the message, silenceDuration,
 * speechRate and emotionValue are strings.
 */
export function buildAsrReport(
  binding: Binding,
  t: CallTimeline,
  asr: { bizDurationMs: number; sentences: AsrSentence[] },
): Record<string, unknown> {
  return {
    callId: t.callId,
    bizDuration: asr.bizDurationMs,
    partnerKey: binding.poolKey,
    secretNo: binding.secretNo,
    statusCode: ASR_SUCCESS_CODE,
    sentences: asr.sentences.map((s) => ({
      beginTime: s.beginTimeMs,
      endTime: s.endTimeMs,
      channelId: s.channelId,
      emotionValue: String(s.emotionValue),
      silenceDuration: String(s.silenceDurationSeconds),
      speechRate: String(s.speechRate),
      text: s.text,
    })),
  };
}

/** One SecretExceptionPhoneReport: noStatus 0 abnormal, 1 normal. */
export function buildHealthReport(
  state: SimulatorState,
  secretNo: string,
  poolKey: string | null,
  health: 'normal' | 'abnormal',
): Record<string, unknown> {
  return {
    id: state.nextRecordId(),
    secretNo,
    partnerKey: poolKey ?? '',
    poolKey: poolKey ?? '',
    noStatus: health === 'abnormal' ? 0 : 1,
    timestamp: state.clock.now(),
  };
}
