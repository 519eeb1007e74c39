import { formatProviderDate } from '../../src/protocol/provider-dates.js';
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
  /** The platform blocked the call (call_type 4, control_type REJECT): nobody rang. */
  intercepted?: boolean;
}

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
}

export function callTimeline(
  state: SimulatorState,
  binding: Binding,
  call: SimulatedCall,
): CallTimeline {
  const duration = call.intercepted ? 0 : Math.max(0, Math.floor(call.durationSeconds ?? 60));
  const answered = duration > 0;
  const releaseAt = state.clock.now();
  const startAt = releaseAt - duration * 1000;
  const rang = !call.intercepted;
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
  };
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
    call_type: call.intercepted ? 4 : call.caller === 'A' ? 0 : 1,
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
    release_dir: call.intercepted ? 0 : 1,
    release_cause: call.releaseCause ?? (t.answered ? 16 : call.intercepted ? 21 : 19),
    unconnected_cause: t.answered ? 0 : 1,
    control_type: call.intercepted ? 'REJECT' : 'CONTINUE',
    control_msg: call.intercepted ? 'blocked by call control' : 'OK',
    record_url: t.recorded ? `https://simulator.invalid/records/${t.callId}.mp3` : '',
    ring_record_url: t.recorded ? `https://simulator.invalid/records/${t.callId}-ring.mp3` : '',
  };
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
  }> = [{ type: 'SecretStartReport', record: { ...parties } }];
  if (call.intercepted) return reports;
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
