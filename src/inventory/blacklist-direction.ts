import type { BlackType, WayControl } from '../protocol/secret-blacklist.js';

/**
 * The API's blacklist directions, from `phone`'s side: `outgoing` — phone may not call (the peer,
 * or without one anybody through the pool's numbers); `incoming` — the peer may not call phone;
 * `both` — neither calls the other.
 */
export const BLACKLIST_DIRECTIONS = ['outgoing', 'incoming', 'both'] as const;
export type BlacklistDirection = (typeof BLACKLIST_DIRECTIONS)[number];

export type BlacklistKind =
  | { ok: true; blackType: BlackType; wayControl: WayControl | null }
  | { ok: false; field: 'direction' | 'peerPhone'; problem: string };

/**
 * How a direction maps onto Dyplsapi's blacklist (AddSecretBlacklist's BlackType and WayControl;
 * BlackNo is `phone`, or `phone:peerPhone`):
 *
 * | peerPhone | direction | BlackType                   | WayControl    | blocks              |
 * | --------- | --------- | --------------------------- | ------------- | ------------------- |
 * | none      | outgoing  | PARTNER_GLOBAL_NUMBER_BLACK | (none)        | phone → pool's Xs   |
 * | given     | outgoing  | POINT_TO_POINT_BLACK        | PHONEB_REJECT | phone → peer        |
 * | given     | incoming  | POINT_TO_POINT_BLACK        | PHONEA_REJECT | peer → phone        |
 * | given     | both      | POINT_TO_POINT_BLACK        | (none: both)  | phone ↔ peer        |
 *
 * A pool-wide entry blocks a number only as a caller (that is all the provider's pool blacklist
 * does, and WayControl applies to point-to-point entries only), so `incoming` and `both` need a
 * peer: refused without one rather than promised and not enforced at the provider.
 */
export function blacklistKind(
  phone: string,
  peerPhone: string | undefined,
  direction: BlacklistDirection,
): BlacklistKind {
  if (peerPhone === undefined) {
    return direction === 'outgoing'
      ? { ok: true, blackType: 'PARTNER_GLOBAL_NUMBER_BLACK', wayControl: null }
      : {
          ok: false,
          field: 'direction',
          problem:
            'must be outgoing without peerPhone (a pool-wide entry stops a number calling; ' +
            'give peerPhone to stop calls to it)',
        };
  }
  if (peerPhone === phone)
    return { ok: false, field: 'peerPhone', problem: 'must differ from phone' };
  const wayControl: Record<BlacklistDirection, WayControl | null> = {
    outgoing: 'PHONEB_REJECT',
    incoming: 'PHONEA_REJECT',
    both: null,
  };
  return { ok: true, blackType: 'POINT_TO_POINT_BLACK', wayControl: wayControl[direction] };
}
