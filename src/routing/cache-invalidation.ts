/** The channel the routing-cache triggers notify (prisma/sql/060_routing_cache.sql). */
export const INVALIDATION_CHANNEL = 'axb_routing_cache';

/**
 * What a notification says changed: bindings by id, orders by (pool key, outId) whose lookups may
 * now find another binding, numbers (X) whose health or state changed; or everything.
 */
export type Invalidation =
  | { kind: 'all' }
  | { kind: 'keys'; bindings: string[]; orders: Array<[string, string]>; numbers: string[] };

export const INVALIDATE_ALL: Invalidation = { kind: 'all' };

/** A listener's own marker, sent through the database to learn that it has caught up. */
export interface SyncMarker {
  kind: 'sync';
  token: string;
}

export function syncPayload(token: string): string {
  return JSON.stringify({ sync: token });
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isOrder = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && isString(v[0]) && isString(v[1]);

function list<T>(value: unknown, valid: (v: unknown) => v is T): T[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(valid)) return undefined;
  return value;
}

/**
 * Reads a notification payload written by the triggers (or a listener's sync marker). Anything
 * it does not understand means "drop everything": a payload lost to a format change must never
 * leave a stale answer behind.
 */
export function parseInvalidation(payload: string | undefined): Invalidation | SyncMarker {
  let body: unknown;
  try {
    body = JSON.parse(payload ?? '');
  } catch {
    return INVALIDATE_ALL;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return INVALIDATE_ALL;
  const fields = body as Record<string, unknown>;
  const names = Object.keys(fields);
  if (names.length === 1 && typeof fields.sync === 'string') {
    return { kind: 'sync', token: fields.sync };
  }
  if (names.some((name) => !['b', 'o', 'x'].includes(name))) return INVALIDATE_ALL;
  const bindings = list(fields.b, isString);
  const orders = list(fields.o, isOrder);
  const numbers = list(fields.x, isString);
  if (!bindings || !orders || !numbers) return INVALIDATE_ALL;
  return { kind: 'keys', bindings, orders, numbers };
}
