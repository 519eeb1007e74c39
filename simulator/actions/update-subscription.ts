import {
  isCallRestrictUpdate,
  parseAsrModelId,
  parseBooleanFlag,
  parseCallDisplayType,
  restrictionAfter,
  type CallRestrictUpdate,
  type Checked,
} from '../../src/protocol/call-control.js';
import { ApiError } from '../http/api-error.js';
import { isLive, type Binding } from '../state/bindings.js';
import type { SimulatorState } from '../state/simulator-state.js';
import { parseOutIdParam } from './binding-settings.js';
import {
  booleanParam,
  checked,
  expiration,
  findBinding,
  required,
  requiredChecked,
  requirePool,
  subscriberNumber,
  type ActionContext,
  type ActionHandler,
} from './context.js';

function parseRestrictUpdate(value: string): Checked<CallRestrictUpdate> {
  return isCallRestrictUpdate(value)
    ? { ok: true, value }
    : {
        ok: false,
        reason: 'must be CONTROL_AX_DISABLE, CONTROL_BX_DISABLE or CONTROL_CLEAR_DISABLE',
      };
}

/** Each AXB OperateType and the one change it makes (its parameter is required). */
const OPERATIONS: Record<string, (ctx: ActionContext, binding: Binding) => void> = {
  updateNoA: (ctx, binding) => {
    const phoneNoA = subscriberNumber(ctx, 'PhoneNoA');
    checkConflict(ctx.state, binding, phoneNoA, binding.phoneNoB, ctx.now);
    binding.phoneNoA = phoneNoA;
  },
  updateNoB: (ctx, binding) => {
    const phoneNoB = subscriberNumber(ctx, 'PhoneNoB');
    checkConflict(ctx.state, binding, binding.phoneNoA, phoneNoB, ctx.now);
    binding.phoneNoB = phoneNoB;
  },
  updateExpire: (ctx, binding) => {
    binding.expireAt = expiration(ctx);
  },
  updateCallRestrict: (ctx, binding) => {
    const update = requiredChecked(ctx, 'CallRestrict', parseRestrictUpdate);
    binding.settings.callRestrict = restrictionAfter(update);
  },
  updateCallDisplayType: (ctx, binding) => {
    binding.settings.callDisplayType = requiredChecked(
      ctx,
      'CallDisplayType',
      parseCallDisplayType,
    );
  },
  updateOutId: (ctx, binding) => {
    binding.outId = requiredChecked(ctx, 'OutId', parseOutIdParam);
  },
  // ASRStatus and ASRModelId have no OperateType of their own; they ride along with recording.
  updateIsRecordingEnabled: (ctx, binding) => {
    const record = requiredChecked(ctx, 'IsRecordingEnabled', parseBooleanFlag);
    const asr = booleanParam(ctx, 'ASRStatus');
    const model = checked(ctx, 'ASRModelId', parseAsrModelId);
    binding.needRecord = record;
    if (asr !== undefined) binding.settings.asrStatus = asr;
    if (model !== undefined) binding.settings.asrModelId = model;
  },
};

/**
 * UpdateSubscription, every AXB OperateType: updateNoA, updateNoB, updateExpire,
 * updateCallRestrict, updateCallDisplayType, updateOutId, updateIsRecordingEnabled. Expired
 * bindings cannot change (isv.FORBIDDEN_ACTION); a new A or B that another live binding on X
 * already has is isv.BIND_CONFLICT; updateAxgGroup (AXG only) and unknown types are
 * isv.ILLEGAL_ARGUMENT. A refused change changes nothing.
 */
export const updateSubscription: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'PhoneNoX');
  const operateType = required(ctx, 'OperateType');
  const binding = findBinding(ctx, poolKey, secretNo);
  if (!isLive(binding, ctx.now)) {
    throw new ApiError('isv.FORBIDDEN_ACTION', 'the subscription has expired');
  }
  const operation = Object.hasOwn(OPERATIONS, operateType) ? OPERATIONS[operateType] : undefined;
  if (!operation) {
    throw new ApiError(
      'isv.ILLEGAL_ARGUMENT',
      `OperateType ${operateType} is not supported for AXB`,
    );
  }
  operation(ctx, binding);
  return {};
};

function checkConflict(
  state: SimulatorState,
  binding: Binding,
  phoneNoA: string,
  phoneNoB: string,
  now: number,
): void {
  if (phoneNoA === phoneNoB) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', 'PhoneNoA and PhoneNoB must differ');
  }
  const conflict = state.bindings.conflictOn(
    binding.secretNo,
    phoneNoA,
    phoneNoB,
    now,
    binding.subsId,
  );
  if (conflict) throw new ApiError('isv.BIND_CONFLICT', conflict);
}
