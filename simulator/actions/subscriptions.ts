import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { ApiError } from '../http/api-error.js';
import { isLive } from '../state/bindings.js';
import type { SimulatorState } from '../state/simulator-state.js';
import {
  expiration,
  findBinding,
  required,
  requirePool,
  subscriberNumber,
  type ActionHandler,
} from './context.js';

/**
 * UnbindSubscription: ends a binding. An expired binding can still be unbound (OK); an unknown
 * or already unbound SubsId is isv.SUBS_NOT_EXIST, since the platform deletes the relation.
 */
export const unbindSubscription: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'SecretNo');
  const binding = findBinding(ctx, poolKey, secretNo);
  binding.unboundAt = ctx.now;
  return {};
};

/**
 * UpdateSubscription: OperateType updateNoA / updateNoB / updateExpire. Expired bindings cannot
 * change (isv.FORBIDDEN_ACTION); a new A or B that another live binding on X already has is
 * isv.BIND_CONFLICT. Other operate types are not simulated (isv.ILLEGAL_ARGUMENT).
 */
export const updateSubscription: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'PhoneNoX');
  const operateType = required(ctx, 'OperateType');
  const binding = findBinding(ctx, poolKey, secretNo);
  if (!isLive(binding, ctx.now)) {
    throw new ApiError('isv.FORBIDDEN_ACTION', 'the subscription has expired');
  }
  switch (operateType) {
    case 'updateNoA': {
      const phoneNoA = subscriberNumber(ctx, 'PhoneNoA');
      checkConflict(ctx.state, secretNo, phoneNoA, binding.phoneNoB, ctx.now, binding.subsId);
      binding.phoneNoA = phoneNoA;
      break;
    }
    case 'updateNoB': {
      const phoneNoB = subscriberNumber(ctx, 'PhoneNoB');
      checkConflict(ctx.state, secretNo, binding.phoneNoA, phoneNoB, ctx.now, binding.subsId);
      binding.phoneNoB = phoneNoB;
      break;
    }
    case 'updateExpire':
      binding.expireAt = expiration(ctx);
      break;
    default:
      throw new ApiError('isv.ILLEGAL_ARGUMENT', `OperateType ${operateType} is not supported`);
  }
  return {};
};

function checkConflict(
  state: SimulatorState,
  secretNo: string,
  phoneNoA: string,
  phoneNoB: string,
  now: number,
  subsId: string,
): void {
  if (phoneNoA === phoneNoB) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', 'PhoneNoA and PhoneNoB must differ');
  }
  const conflict = state.bindings.conflictOn(secretNo, phoneNoA, phoneNoB, now, subsId);
  if (conflict) throw new ApiError('isv.BIND_CONFLICT', conflict);
}

/**
 * QuerySubsId: the SubsIds of the live bindings on an X of the pool, comma-separated (an empty
 * string when there are none), as Alibaba answers it.
 */
export const querySubsId: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'PhoneNoX');
  const ids = ctx.state.bindings
    .liveOn(secretNo, ctx.now)
    .filter((b) => b.poolKey === poolKey)
    .map((b) => b.subsId);
  return { SubsId: ids.join(',') };
};

/** QuerySubscriptionDetail: Status 1 while in effect, 0 once expired. */
export const querySubscriptionDetail: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'PhoneNoX');
  const binding = findBinding(ctx, poolKey, secretNo);
  return {
    SecretBindDetailDTO: {
      SubsId: binding.subsId,
      PhoneNoA: binding.phoneNoA,
      PhoneNoX: binding.secretNo,
      PhoneNoB: binding.phoneNoB,
      GmtCreate: formatProviderDate(new Date(binding.createdAt)),
      ExpireDate: formatProviderDate(new Date(binding.expireAt)),
      NeedRecord: binding.needRecord,
      Status: isLive(binding, ctx.now) ? 1 : 0,
    },
  };
};

/**
 * QueryCallStatus (a private action): 1 dial X; 2 X is abnormal, dial the temporary X lent from
 * spare stock (the same one while X stays abnormal); 3 abnormal and no spare, CalledNo null;
 * 4 expired. Refused with isp.RAM_PERMISSION_DENY while the control API says so.
 */
export const queryCallStatus: ActionHandler = (ctx) => {
  if (!ctx.state.queryCallStatusAllowed) {
    throw new ApiError(
      'isp.RAM_PERMISSION_DENY',
      'QueryCallStatus is a private action this account has not been granted',
    );
  }
  const poolKey = requirePool(ctx);
  const binding = findBinding(ctx, poolKey);
  const status = (value: number, calledNo: string | null) => ({
    SecretCallStatusDTO: { Status: value, CalledNo: calledNo },
  });
  if (!isLive(binding, ctx.now)) return status(4, null);
  const number = ctx.state.stock.get(binding.secretNo);
  if (!number || number.health === 'normal') return status(1, binding.secretNo);
  const temporary = ctx.state.temporaryNumberFor(number);
  return temporary ? status(2, temporary.secretNo) : status(3, null);
};
