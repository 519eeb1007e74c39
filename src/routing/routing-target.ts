import type { BindingState } from '../generated/prisma/enums.js';
import type { PartyRole } from './route-cache.js';

/**
 * What a lookup needs to know about a binding and its X, read in one indexed query: all it takes
 * to answer or refuse a caller, so a cached copy answers without the database.
 */
export interface RoutingTarget {
  id: string;
  poolKey: string;
  state: BindingState;
  phoneA: string;
  phoneB: string;
  phoneX: string | null;
  subsId: string | null;
  expiresAt: Date;
  /** Health of X in the inventory; null when the pool does not hold X (any more). */
  xHealth: 'normal' | 'abnormal' | null;
}

/** A or B of the binding, or undefined for anyone else. */
export function roleOf(target: RoutingTarget, callerNo: string): PartyRole | undefined {
  if (callerNo === target.phoneA) return 'A';
  if (callerNo === target.phoneB) return 'B';
  return undefined;
}

/** The real number of the party the caller wants to reach. */
export function otherParty(target: RoutingTarget, role: PartyRole): string {
  return role === 'A' ? target.phoneB : target.phoneA;
}
