import { ApiError } from '../http/api-error.js';
import { MAX_PAIRS_PER_X } from '../state/bindings.js';
import type { SecretNumber } from '../state/stock.js';
import { bindingSettings, outIdParam } from './binding-settings.js';
import {
  booleanParam,
  expiration,
  optional,
  requirePool,
  subscriberNumber,
  type ActionContext,
  type ActionHandler,
} from './context.js';

/**
 * BindAxb: binds A and B to X. With PhoneNoX, X must be a number of the pool, not locked and free
 * of conflicts (else isv.NO_NOT_EXIST / isv.FORBIDDEN_ACTION / isv.BIND_CONFLICT). Without it, a
 * random fitting healthy unlocked X of the pool is chosen, in ExpectCity when possible; other
 * cities are tried unless the pool is strict. No fitting X: isv.NO_AVAILABLE_NUMBER. Call control
 * and ASR parameters are validated and kept with the binding (binding-settings.ts).
 */
export const bindAxb: ActionHandler = (ctx) => {
  const poolKey = requirePool(ctx);
  const phoneNoA = subscriberNumber(ctx, 'PhoneNoA');
  const phoneNoB = subscriberNumber(ctx, 'PhoneNoB');
  if (phoneNoA === phoneNoB) {
    throw new ApiError('isv.ILLEGAL_ARGUMENT', 'PhoneNoA and PhoneNoB must differ');
  }
  const expireAt = expiration(ctx);
  const needRecord = booleanParam(ctx, 'IsRecordingEnabled') ?? false;
  const outId = outIdParam(ctx) ?? null;
  const settings = bindingSettings(ctx);
  const requestedX = optional(ctx, 'PhoneNoX');
  const number = requestedX
    ? requestedNumber(ctx, poolKey, requestedX, phoneNoA, phoneNoB)
    : chooseNumber(ctx, poolKey, phoneNoA, phoneNoB);

  const binding = ctx.state.bindings.add({
    poolKey,
    secretNo: number.secretNo,
    phoneNoA,
    phoneNoB,
    createdAt: ctx.now,
    expireAt,
    needRecord,
    outId,
    settings,
  });
  return {
    SecretBindDTO: { SubsId: binding.subsId, SecretNo: binding.secretNo, Extension: '' },
  };
};

function requestedNumber(
  ctx: ActionContext,
  poolKey: string,
  secretNo: string,
  phoneNoA: string,
  phoneNoB: string,
): SecretNumber {
  const number = ctx.state.stock.get(secretNo);
  if (!number || number.poolKey !== poolKey) {
    throw new ApiError('isv.NO_NOT_EXIST', `PhoneNoX ${secretNo} is not a number of this pool`);
  }
  if (number.locked) {
    throw new ApiError('isv.FORBIDDEN_ACTION', `PhoneNoX ${secretNo} is locked (LockSecretNo)`);
  }
  const conflict = ctx.state.bindings.conflictOn(secretNo, phoneNoA, phoneNoB, ctx.now);
  if (conflict) throw new ApiError('isv.BIND_CONFLICT', conflict);
  return number;
}

function chooseNumber(
  ctx: ActionContext,
  poolKey: string,
  phoneNoA: string,
  phoneNoB: string,
): SecretNumber {
  const fitting = ctx.state.stock
    .ownedBy(poolKey)
    .filter(
      (n) =>
        n.health === 'normal' &&
        !n.locked &&
        ctx.state.bindings.conflictOn(n.secretNo, phoneNoA, phoneNoB, ctx.now) === null,
    );
  const expectCity = optional(ctx, 'ExpectCity');
  const inCity = expectCity ? fitting.filter((n) => n.city === expectCity) : fitting;
  const pool = inCity.length > 0 || ctx.state.isStrictCity(poolKey) ? inCity : fitting;
  const chosen = ctx.state.random.pick(pool);
  if (!chosen) {
    const where = expectCity && ctx.state.isStrictCity(poolKey) ? ` in ${expectCity}` : '';
    throw new ApiError(
      'isv.NO_AVAILABLE_NUMBER',
      `no number of the pool can take this pair${where} (max ${MAX_PAIRS_PER_X} pairs, no shared A or B per number)`,
    );
  }
  return chosen;
}
