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
}

const RING_SECONDS = 5;
const SETUP_SECONDS = 2;

/**
 * One SecretReport (call record) as Alibaba pushes it: snake_case fields, numbers where the
 * platform sends numbers (sub_id, call_type, release_dir, release_cause), times as
 * `YYYY-MM-DD hh:mm:ss` Beijing time. phone_no is always A and peer_no B; call_type 0 means A called
 * B, 1 that B called A. The call ends at the simulated clock's now.
 */
export function buildCallRecord(
  state: SimulatorState,
  binding: Binding,
  call: SimulatedCall,
): Record<string, unknown> {
  const duration = Math.max(0, Math.floor(call.durationSeconds ?? 60));
  const answered = duration > 0;
  const releaseAt = state.clock.now();
  const startAt = releaseAt - duration * 1000;
  const ringAt = startAt - (answered ? RING_SECONDS : 0) * 1000;
  const callAt = ringAt - SETUP_SECONDS * 1000;
  const at = (ms: number) => formatProviderDate(new Date(ms));
  const callId = state.nextCallId();
  const recorded = (call.record ?? binding.needRecord) && answered;
  return {
    id: state.nextRecordId(),
    call_id: callId,
    sub_id: Number(binding.subsId),
    pool_key: binding.poolKey,
    partner_key: binding.poolKey,
    phone_no: binding.phoneNoA,
    secret_no: binding.secretNo,
    peer_no: binding.phoneNoB,
    called_display_no: binding.secretNo,
    call_type: call.caller === 'A' ? 0 : 1,
    call_time: at(callAt),
    ring_time: at(ringAt),
    start_time: at(answered ? startAt : ringAt),
    release_time: at(releaseAt),
    free_ring_time: at(ringAt),
    release_dir: 1,
    release_cause: call.releaseCause ?? (answered ? 16 : 19),
    unconnected_cause: answered ? 0 : 1,
    out_id: binding.outId ?? '',
    record_url: recorded ? `https://simulator.invalid/records/${callId}.mp3` : '',
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
