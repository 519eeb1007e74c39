import { isSubscriberNumber } from './phone-number.js';

/**
 * Dyplsapi's blacklists (AddSecretBlacklist / DeleteSecretBlacklist: PoolKey, BlackNo, BlackType,
 * WayControl, Remark), their values as Alibaba's SDK models define them, and the rule deciding
 * which calls an entry blocks. Pure; shared by the API layer, routing and the simulator.
 *
 * Alibaba's public SDK has no action that lists a pool's blacklist: the service keeps its own
 * record of what it added.
 */

/**
 * POINT_TO_POINT_BLACK: BlackNo is a pair `first:second`, blocked between each other (WayControl
 * says which way). PARTNER_GLOBAL_NUMBER_BLACK: BlackNo is one number, blocked pool-wide.
 */
export const BLACK_TYPES = ['POINT_TO_POINT_BLACK', 'PARTNER_GLOBAL_NUMBER_BLACK'] as const;
export type BlackType = (typeof BLACK_TYPES)[number];

/**
 * Point-to-point direction control: DUPLEX_REJECT (also when absent) neither calls the other;
 * PHONEA_REJECT the first may call the second, not the reverse; PHONEB_REJECT the second may call
 * the first, not the reverse.
 */
export const WAY_CONTROLS = ['DUPLEX_REJECT', 'PHONEA_REJECT', 'PHONEB_REJECT'] as const;
export type WayControl = (typeof WAY_CONTROLS)[number];

export function isBlackType(value: unknown): value is BlackType {
  return (BLACK_TYPES as readonly unknown[]).includes(value);
}

export function isWayControl(value: unknown): value is WayControl {
  return (WAY_CONTROLS as readonly unknown[]).includes(value);
}

/** BlackNo read: the blocked number, and for a point-to-point entry the other one. */
export interface BlackNo {
  first: string;
  second: string | null;
}

export type CheckedBlackNo = { ok: true; value: BlackNo } | { ok: false; reason: string };

/** Reads BlackNo for its type; numbers are mobiles or fixed lines as A and B are. */
export function parseBlackNo(type: BlackType, value: unknown): CheckedBlackNo {
  if (typeof value !== 'string') return { ok: false, reason: 'must be a phone number' };
  if (type === 'PARTNER_GLOBAL_NUMBER_BLACK') {
    return isSubscriberNumber(value)
      ? { ok: true, value: { first: value, second: null } }
      : { ok: false, reason: 'must be one mobile or fixed-line number' };
  }
  const parts = value.split(':');
  if (parts.length !== 2 || !parts.every(isSubscriberNumber) || parts[0] === parts[1]) {
    return { ok: false, reason: 'must be two different numbers joined by ":" (first:second)' };
  }
  return { ok: true, value: { first: parts[0]!, second: parts[1]! } };
}

/** BlackNo as sent: `first`, or `first:second`. */
export function formatBlackNo(blackNo: BlackNo): string {
  return blackNo.second === null ? blackNo.first : `${blackNo.first}:${blackNo.second}`;
}

/** The identity of an entry within a pool: its type and BlackNo (WayControl and Remark are attributes). */
export function blacklistKey(type: BlackType, blackNo: BlackNo): string {
  return `${type}|${formatBlackNo(blackNo)}`;
}

export interface BlacklistRule {
  blackType: BlackType;
  blackNo: BlackNo;
  /** Point-to-point only; absent means DUPLEX_REJECT. */
  wayControl?: WayControl | null;
}

/**
 * True when the entry blocks a call from `caller` to `callee` (real numbers, not X). A pool-wide
 * entry blocks the number as a caller; a point-to-point entry blocks the pair in the directions
 * its WayControl names.
 */
export function blacklistBlocks(rule: BlacklistRule, caller: string, callee: string): boolean {
  const { first, second } = rule.blackNo;
  if (rule.blackType === 'PARTNER_GLOBAL_NUMBER_BLACK') return caller === first;
  const firstCallsSecond = caller === first && callee === second;
  const secondCallsFirst = caller === second && callee === first;
  switch (rule.wayControl ?? 'DUPLEX_REJECT') {
    case 'PHONEA_REJECT':
      return secondCallsFirst;
    case 'PHONEB_REJECT':
      return firstCallsSecond;
    default:
      return firstCallsSecond || secondCallsFirst;
  }
}
