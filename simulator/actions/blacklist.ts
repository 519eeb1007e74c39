import {
  isBlackType,
  isWayControl,
  parseBlackNo,
  WAY_CONTROLS,
  BLACK_TYPES,
  type BlackNo,
  type BlackType,
  type WayControl,
} from '../../src/protocol/secret-blacklist.js';
import { ApiError } from '../http/api-error.js';
import {
  optional,
  required,
  requirePool,
  type ActionContext,
  type ActionHandler,
} from './context.js';

/** Alibaba does not publish Remark's limit; the simulator keeps up to 200 characters. */
const MAX_REMARK = 200;

interface EntryParams {
  poolKey: string;
  blackType: BlackType;
  blackNo: BlackNo;
  wayControl: WayControl | null;
  remark: string | null;
}

/** PoolKey, BlackType, BlackNo (required), WayControl and Remark, with Alibaba's values. */
function entryParams(ctx: ActionContext): EntryParams {
  const poolKey = requirePool(ctx);
  const blackType = required(ctx, 'BlackType');
  if (!isBlackType(blackType)) {
    throw new ApiError(
      'isv.ILLEGAL_ARGUMENT',
      `BlackType must be one of ${BLACK_TYPES.join(', ')}`,
    );
  }
  const blackNo = parseBlackNo(blackType, required(ctx, 'BlackNo'));
  if (!blackNo.ok) {
    // A malformed number is the product's number-format error, as for PhoneNoA / PhoneNoB.
    throw new ApiError('isv.MOBILE_NUMBER_ILLEGAL', `BlackNo ${blackNo.reason}`);
  }
  const way = optional(ctx, 'WayControl');
  if (way !== undefined && !isWayControl(way)) {
    throw new ApiError(
      'isv.ILLEGAL_ARGUMENT',
      `WayControl must be one of ${WAY_CONTROLS.join(', ')}`,
    );
  }
  const remark = optional(ctx, 'Remark');
  if (remark !== undefined && remark.length > MAX_REMARK) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', `Remark must be at most ${MAX_REMARK} characters`);
  }
  return {
    poolKey,
    blackType,
    blackNo: blackNo.value,
    // WayControl applies to point-to-point entries only; a pool-wide entry ignores it.
    wayControl: blackType === 'POINT_TO_POINT_BLACK' ? (way ?? null) : null,
    remark: remark ?? null,
  };
}

/**
 * AddSecretBlacklist: the pool's simulated calls that the entry blocks are intercepted (call_type
 * 4). Adding an entry again replaces its WayControl and Remark (OK).
 */
export const addSecretBlacklist: ActionHandler = (ctx) => {
  const entry = entryParams(ctx);
  ctx.state.blacklist.put({ ...entry, addedAt: ctx.now });
  return {};
};

/** DeleteSecretBlacklist: removes the entry of that type and BlackNo; a missing one is OK too. */
export const deleteSecretBlacklist: ActionHandler = (ctx) => {
  ctx.state.blacklist.remove(entryParams(ctx));
  return {};
};
