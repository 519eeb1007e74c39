import { ApiError } from '../http/api-error.js';
import type { SecretNumber } from '../state/stock.js';
import { required, requirePool, type ActionContext, type ActionHandler } from './context.js';

/** The pool's number SecretNo names; a number the pool does not own is isv.NO_NOT_EXIST. */
function poolNumber(ctx: ActionContext): SecretNumber {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'SecretNo');
  const number = ctx.state.stock.get(secretNo);
  if (!number || number.poolKey !== poolKey) {
    throw new ApiError('isv.NO_NOT_EXIST', `${secretNo} is not a number of this pool`);
  }
  return number;
}

/**
 * LockSecretNo: X is no longer chosen for, nor accepted by, a new binding (isv.FORBIDDEN_ACTION
 * for a PhoneNoX that is locked). Alibaba documents nothing more: live bindings on X go on and
 * their calls connect. Locking a locked number is OK.
 */
export const lockSecretNo: ActionHandler = (ctx) => {
  poolNumber(ctx).locked = true;
  return {};
};

/** UnlockSecretNo: X can be chosen again. Unlocking an unlocked number is OK. */
export const unlockSecretNo: ActionHandler = (ctx) => {
  poolNumber(ctx).locked = false;
  return {};
};
