import {
  isCallRestrict,
  parseAsrModelId,
  parseCallDisplayType,
  parseCallTimeout,
  parseDtmfConfig,
  parseRingConfig,
  type CallRestrict,
  type Checked,
} from '../../src/protocol/call-control.js';
import { DEFAULT_SETTINGS, type BindingSettings } from '../state/bindings.js';
import { booleanParam, checked, type ActionContext } from './context.js';

/** Alibaba's OutId / OutOrderId limit is not published; the simulator takes up to 64 characters. */
const MAX_OUT_ID = 64;

export function parseCallRestrictParam(value: string): Checked<CallRestrict> {
  return isCallRestrict(value)
    ? { ok: true, value }
    : { ok: false, reason: 'must be CONTROL_AX_DISABLE or CONTROL_BX_DISABLE' };
}

export function parseOutIdParam(value: string): Checked<string> {
  return value.length <= MAX_OUT_ID
    ? { ok: true, value }
    : { ok: false, reason: `must be at most ${MAX_OUT_ID} characters` };
}

/**
 * BindAxb's call-control and ASR parameters, each validated with Alibaba's values (a wrong one is
 * isv.ILLEGAL_ARGUMENT naming the parameter): OutOrderId, CallRestrict, CallDisplayType,
 * CallTimeout, RingConfig, DtmfConfig, ASRStatus, ASRModelId.
 */
export function bindingSettings(ctx: ActionContext): BindingSettings {
  return {
    ...DEFAULT_SETTINGS,
    outOrderId: checked(ctx, 'OutOrderId', parseOutIdParam) ?? null,
    callRestrict: checked(ctx, 'CallRestrict', parseCallRestrictParam) ?? null,
    callDisplayType: checked(ctx, 'CallDisplayType', parseCallDisplayType) ?? null,
    callTimeoutSeconds: checked(ctx, 'CallTimeout', parseCallTimeout) ?? null,
    ringConfig: checked(ctx, 'RingConfig', parseRingConfig) ?? null,
    dtmfConfig: checked(ctx, 'DtmfConfig', parseDtmfConfig) ?? null,
    asrStatus: booleanParam(ctx, 'ASRStatus') ?? false,
    asrModelId: checked(ctx, 'ASRModelId', parseAsrModelId) ?? null,
  };
}

/** OutId, validated like OutOrderId. */
export function outIdParam(ctx: ActionContext): string | undefined {
  return checked(ctx, 'OutId', parseOutIdParam);
}
