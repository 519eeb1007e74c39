import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import { ApiError } from '../http/api-error.js';
import { isLive } from '../state/bindings.js';
import { findBinding, required, requirePool, type ActionHandler } from './context.js';

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

/**
 * QuerySubscriptionDetail: Status 1 while in effect, 0 once expired; CallRestrict, ASRStatus and
 * ASRModelId as the binding holds them.
 */
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
      // Left out when unset, as Alibaba answers; AXB has no GroupId or Extension.
      ...(binding.settings.callRestrict ? { CallRestrict: binding.settings.callRestrict } : {}),
      ASRStatus: binding.settings.asrStatus,
      ...(binding.settings.asrModelId ? { ASRModelId: binding.settings.asrModelId } : {}),
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
