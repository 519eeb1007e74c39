/** The channel the routing-cache triggers notify (migration 20261123040000_routing_cache_notify). */
export const INVALIDATION_CHANNEL = 'axb_routing_cache';

/**
 * What a notification says changed: bindings by id, orders by (pool key, outId) whose lookups may
 * now find another binding, numbers (X) whose health or state changed; or everything.
 */
export type Invalidation =
  | { kind: 'all' }
  | { kind: 'keys'; bindings: string[]; orders: Array<[string, string]>; numbers: string[] };

export const INVALIDATE_ALL: Invalidation = { kind: 'all' };

const isString = (v: unknown): v is string => typeof v === 'string';
const isOrder = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && isString(v[0]) && isString(v[1]);

function list<T>(value: unknown, valid: (v: unknown) => v is T): T[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(valid)) return undefined;
  return value;
}

/**
 * Reads a notification payload written by the triggers. Anything it does not understand means
 * "drop everything": a payload lost to a format change must never leave a stale answer behind.
 */
export function parseInvalidation(payload: string | undefined): Invalidation {
  let body: unknown;
  try {
    body = JSON.parse(payload ?? '');
  } catch {
    return INVALIDATE_ALL;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return INVALIDATE_ALL;
  const { all, b, o, x, ...rest } = body as Record<string, unknown>;
  if (all === true || Object.keys(rest).length > 0) return INVALIDATE_ALL;
  const bindings = list(b, isString);
  const orders = list(o, isOrder);
  const numbers = list(x, isString);
  if (!bindings || !orders || !numbers || all !== undefined) return INVALIDATE_ALL;
  return { kind: 'keys', bindings, orders, numbers };
}
