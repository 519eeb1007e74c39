import { formatProviderDate } from '../../protocol/provider-dates.js';
import type { UpdateSubscriptionInput } from '../provider.port.js';

/**
 * UpdateSubscription's parameters for one change: the binding (PoolKey, SubsId, PhoneNoX), the
 * OperateType and the one parameter that OperateType reads. Every AXB OperateType of Alibaba's
 * SDK: updateNoA, updateNoB, updateExpire, updateCallRestrict, updateCallDisplayType, updateOutId,
 * updateIsRecordingEnabled (updateAxgGroup is AXG only).
 */
export function updateSubscriptionParams(
  input: UpdateSubscriptionInput,
): Record<string, string | undefined> {
  const ref = { PoolKey: input.poolKey, SubsId: input.subsId, PhoneNoX: input.phoneX };
  const change = input.change;
  switch (change.kind) {
    case 'phoneA':
      return { ...ref, OperateType: 'updateNoA', PhoneNoA: change.phoneA };
    case 'phoneB':
      return { ...ref, OperateType: 'updateNoB', PhoneNoB: change.phoneB };
    case 'expiry':
      return {
        ...ref,
        OperateType: 'updateExpire',
        Expiration: formatProviderDate(change.expiresAt),
      };
    case 'callRestrict':
      return { ...ref, OperateType: 'updateCallRestrict', CallRestrict: change.callRestrict };
    case 'callDisplayType':
      return {
        ...ref,
        OperateType: 'updateCallDisplayType',
        CallDisplayType: String(change.callDisplayType),
      };
    case 'outId':
      return { ...ref, OperateType: 'updateOutId', OutId: change.outId };
    case 'recording':
      return {
        ...ref,
        OperateType: 'updateIsRecordingEnabled',
        IsRecordingEnabled: String(change.record),
        ASRStatus: change.asr === undefined ? undefined : String(change.asr),
        ASRModelId: change.asrModelId,
      };
  }
}
