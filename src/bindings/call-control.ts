import type { Binding, Prisma } from '../generated/prisma/client.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import {
  isCallRestrict,
  parseCallDisplayType,
  parseCallTimeout,
  type CallDisplayType,
  type CallRestrict,
  type DtmfConfig,
  type RingConfig,
} from '../protocol/call-control.js';
import type { BindAxbInput } from '../provider/provider.port.js';

/**
 * The BindAxb options a binding keeps besides its parties, X, expiry and recording: sent with
 * the bind, sent again unchanged when reconciliation re-binds, and shown in its views. The API
 * validates each with the protocol's shared parsers (src/protocol/call-control.ts).
 */
export interface CallControl {
  outOrderId?: string;
  callRestrict?: CallRestrict;
  callDisplayType?: CallDisplayType;
  /** CallTimeout, seconds (5-20). */
  callTimeout?: number;
  ringConfig?: RingConfig;
  dtmfConfig?: DtmfConfig;
  asrStatus?: boolean;
  asrModelId?: string;
}

/** A request's call control (already validated field by field) in its canonical form. */
export function callControlOf(input: {
  outOrderId?: string;
  callRestrict?: string;
  callDisplayType?: unknown;
  callTimeout?: unknown;
  ringConfig?: unknown;
  dtmfConfig?: unknown;
  asrStatus?: boolean;
  asrModelId?: string;
}): CallControl {
  const display =
    input.callDisplayType === undefined ? undefined : parseCallDisplayType(input.callDisplayType);
  const timeout = input.callTimeout === undefined ? undefined : parseCallTimeout(input.callTimeout);
  return {
    outOrderId: input.outOrderId,
    callRestrict: isCallRestrict(input.callRestrict) ? input.callRestrict : undefined,
    callDisplayType: display?.ok ? display.value : undefined,
    callTimeout: timeout?.ok ? timeout.value : undefined,
    ringConfig: input.ringConfig as RingConfig | undefined,
    dtmfConfig: input.dtmfConfig as DtmfConfig | undefined,
    asrStatus: input.asrStatus,
    asrModelId: input.asrModelId,
  };
}

/**
 * Speech recognition transcribes the recording: ASR needs recording on, and a model id needs ASR
 * on. 400 naming the field otherwise (nothing is written, nothing is sent).
 */
export function checkAsr(record: boolean, asrStatus: boolean, asrModelId: string | null): void {
  if (asrStatus && !record) {
    throw validationFailed(
      'asrStatus',
      'needs record: true (speech recognition transcribes the recording)',
    );
  }
  if (asrModelId !== null && !asrStatus) {
    throw validationFailed('asrModelId', 'needs asrStatus: true');
  }
}

/** The call control as the bind path's SQL takes it (place_binding's p_call_control). */
export function callControlJson(control: CallControl): Prisma.InputJsonObject {
  const out: Record<string, Prisma.InputJsonValue> = {};
  for (const [key, value] of Object.entries(control)) {
    if (value !== undefined) out[key] = value as Prisma.InputJsonValue;
  }
  return out;
}

/** The binding's call control as BindAxb sends it (a binding written before issue 23 has none). */
export function bindAxbCallControl(binding: Binding): Partial<BindAxbInput> {
  return {
    outOrderId: binding.outOrderId ?? undefined,
    callRestrict: isCallRestrict(binding.callRestrict) ? binding.callRestrict : undefined,
    callDisplayType: binding.callDisplayType === 1 ? 1 : undefined,
    callTimeoutSeconds: binding.callTimeout ?? undefined,
    ringConfig: (binding.ringConfig as RingConfig | null) ?? undefined,
    dtmfConfig: (binding.dtmfConfig as DtmfConfig | null) ?? undefined,
    asr: binding.asrStatus || undefined,
    asrModelId: binding.asrModelId ?? undefined,
  };
}
