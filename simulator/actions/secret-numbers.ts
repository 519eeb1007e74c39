import { NATIONWIDE_CITY } from '../options.js';
import { ApiError } from '../http/api-error.js';
import type { SpecId } from '../state/stock.js';
import {
  optional,
  required,
  requirePool,
  type ActionContext,
  type ActionHandler,
} from './context.js';

function specId(ctx: ActionContext): SpecId {
  const value = required(ctx, 'SpecId');
  if (value !== '1' && value !== '2' && value !== '3') {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', 'SpecId must be 1, 2 or 3');
  }
  return Number(value) as SpecId;
}

function city(ctx: ActionContext, spec: SpecId): string {
  const value = required(ctx, 'City');
  if (spec === 3 && value !== NATIONWIDE_CITY) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', `95 numbers are sold with City ${NATIONWIDE_CITY}`);
  }
  return value;
}

/** BuySecretNo: one spare number of that spec, city and prefix; none left is isv.PHONE_NOT_ENOUGH. */
export const buySecretNo: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const spec = specId(ctx);
  const where = city(ctx, spec);
  const prefix = optional(ctx, 'SecretNo');
  const chosen = ctx.state.random.pick(ctx.state.stock.spare(spec, where, prefix));
  if (!chosen) {
    throw new ApiError(
      'isv.PHONE_NOT_ENOUGH',
      `no spec ${spec} number left in ${where}${prefix ? ` starting with ${prefix}` : ''}`,
    );
  }
  chosen.poolKey = poolKey;
  return { SecretBuyInfoDTO: { SecretNo: chosen.secretNo } };
};

/**
 * ReleaseSecretNo: gives a number of the pool back to stock. Refused with isv.FORBIDDEN_ACTION
 * while a live binding uses it; a number the pool does not own is isv.NO_NOT_EXIST.
 */
export const releaseSecretNo: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'SecretNo');
  const number = ctx.state.stock.get(secretNo);
  if (!number || number.poolKey !== poolKey) {
    throw new ApiError('isv.NO_NOT_EXIST', `${secretNo} is not a number of this pool`);
  }
  const live = ctx.state.bindings.liveOn(secretNo, ctx.now).length;
  if (live > 0) {
    throw new ApiError('isv.FORBIDDEN_ACTION', `${secretNo} still has ${live} live binding(s)`);
  }
  ctx.state.setHealth(number, 'normal');
  number.poolKey = null;
  number.locked = false;
  return {};
};

/**
 * QuerySecretNoRemain: buyable numbers of a spec (and prefix). Amount counts the requested City;
 * RemainDTOList has every city of the spec, in the SDKs' shape `{remainDTO: [{City, Amount}]}`.
 */
export const querySecretNoRemain: ActionHandler = (ctx) => {
  const spec = specId(ctx);
  const where = required(ctx, 'City');
  const prefix = optional(ctx, 'SecretNo');
  const count = (c: string) => ctx.state.stock.spare(spec, c, prefix).length;
  return {
    SecretRemainDTO: {
      City: where,
      Amount: count(where),
      RemainDTOList: {
        remainDTO: ctx.state.stock.citiesOf(spec).map((c) => ({ City: c, Amount: count(c) })),
      },
    },
  };
};

/**
 * QuerySecretNoDetail: a number of the pool, with its City and SecretStatus (2 while locked, else 1
 * while it carries a live binding, else 0). A number the pool does not own is isv.NO_NOT_EXIST, as ReleaseSecretNo
 * answers (Alibaba's page lists no code for it).
 */
export const querySecretNoDetail: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const secretNo = required(ctx, 'SecretNo');
  const number = ctx.state.stock.get(secretNo);
  if (!number || number.poolKey !== poolKey) {
    throw new ApiError('isv.NO_NOT_EXIST', `${secretNo} is not a number of this pool`);
  }
  const bound = ctx.state.bindings.liveOn(secretNo, ctx.now).length > 0;
  return {
    SecretNoInfoDTO: {
      City: number.city,
      SecretStatus: number.locked ? 2 : bound ? 1 : 0,
      CertifyStatus: 0,
    },
  };
};
