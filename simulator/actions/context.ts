import { parseBooleanFlag, type Checked } from '../../src/protocol/call-control.js';
import { parseProviderDate } from '../../src/protocol/provider-dates.js';
import { isSubscriberNumber } from '../../src/protocol/phone-number.js';
import { ApiError, missingParameter } from '../http/api-error.js';
import type { Params } from '../http/params.js';
import type { Binding } from '../state/bindings.js';
import type { SimulatorState } from '../state/simulator-state.js';

export interface ActionContext {
  state: SimulatorState;
  params: Params;
  /** The simulated clock's reading for this request. */
  now: number;
}

/** Returns the DTO part of a successful answer; business errors are thrown as ApiError. */
export type ActionHandler = (ctx: ActionContext) => Record<string, unknown>;

/** Expiration must be more than this far ahead of the clock. */
export const MIN_EXPIRATION_LEAD_MS = 60_000;

export function required(ctx: ActionContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

export function optional(ctx: ActionContext, name: string): string | undefined {
  const value = ctx.params[name];
  return value === undefined || value === '' ? undefined : value;
}

export function requirePool(ctx: ActionContext): string {
  const poolKey = required(ctx, 'PoolKey');
  if (!ctx.state.hasPool(poolKey)) {
    throw new ApiError('isv.PARTNER_NOT_EXIST', `PoolKey ${poolKey} does not exist`);
  }
  return poolKey;
}

export function subscriberNumber(ctx: ActionContext, name: string): string {
  const value = required(ctx, name);
  if (!isSubscriberNumber(value)) {
    throw new ApiError('isv.MOBILE_NUMBER_ILLEGAL', `${name} is not a valid phone number`);
  }
  return value;
}

/** Parses Expiration (`YYYY-MM-DD hh:mm:ss`, Beijing time) and applies the one-minute rule. */
export function expiration(ctx: ActionContext): number {
  const text = required(ctx, 'Expiration');
  const date = parseProviderDate(text);
  if (!date) {
    throw new ApiError('isv.EXPIRE_DATE_ILLEGAL', 'Expiration must be YYYY-MM-DD hh:mm:ss');
  }
  if (date.getTime() - ctx.now <= MIN_EXPIRATION_LEAD_MS) {
    throw new ApiError('isv.EXPIRE_DATE_ILLEGAL', 'expireDate less than 1 minutes from now');
  }
  return date.getTime();
}

/** An optional boolean parameter ("true" / "false"); anything else is isv.ILLEGAL_ARGUMENT. */
export function booleanParam(ctx: ActionContext, name: string): boolean | undefined {
  return checked(ctx, name, parseBooleanFlag);
}

/** An optional parameter read by a protocol parser; a refusal is isv.ILLEGAL_ARGUMENT naming it. */
export function checked<T>(
  ctx: ActionContext,
  name: string,
  parse: (value: string) => Checked<T>,
): T | undefined {
  const value = optional(ctx, name);
  if (value === undefined) return undefined;
  const result = parse(value);
  if (!result.ok) throw new ApiError('isv.ILLEGAL_ARGUMENT', `${name} ${result.reason}`);
  return result.value;
}

/** Like checked(), for a parameter the operation needs (Missing<Name> when absent). */
export function requiredChecked<T>(
  ctx: ActionContext,
  name: string,
  parse: (value: string) => Checked<T>,
): T {
  required(ctx, name);
  return checked(ctx, name, parse)!;
}

/**
 * The binding a SubsId names in this pool; with `secretNo`, X must match too. Unknown, unbound,
 * other pool or other X all read as isv.SUBS_NOT_EXIST: the platform forgets unbound relations.
 */
export function findBinding(ctx: ActionContext, poolKey: string, secretNo?: string): Binding {
  const subsId = required(ctx, 'SubsId');
  const binding = ctx.state.bindings.get(subsId);
  if (
    !binding ||
    binding.poolKey !== poolKey ||
    binding.unboundAt !== null ||
    (secretNo !== undefined && binding.secretNo !== secretNo)
  ) {
    throw new ApiError('isv.SUBS_NOT_EXIST', `subscription ${subsId} does not exist`);
  }
  return binding;
}
