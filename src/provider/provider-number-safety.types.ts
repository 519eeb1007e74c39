import type { BlackType, WayControl } from '../protocol/secret-blacklist.js';

/** LockSecretNo / UnlockSecretNo: a locked X is never chosen for a new binding. */
export interface SecretNoRef {
  poolKey: string;
  phoneX: string;
}

/**
 * One blacklist entry of a pool (AddSecretBlacklist / DeleteSecretBlacklist). Pool-wide: `phone`
 * may not call the pool's numbers. Point-to-point: `phone` and `peerPhone` may not call each
 * other, or only one way (`wayControl`; absent means both ways).
 */
export type BlacklistEntry =
  | {
      poolKey: string;
      blackType: Extract<BlackType, 'PARTNER_GLOBAL_NUMBER_BLACK'>;
      phone: string;
      remark?: string;
    }
  | {
      poolKey: string;
      blackType: Extract<BlackType, 'POINT_TO_POINT_BLACK'>;
      phone: string;
      peerPhone: string;
      wayControl?: WayControl;
      remark?: string;
    };
