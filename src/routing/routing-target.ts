import type { BindingState } from '../generated/prisma/enums.js';
import { restrictionBlocks, type CallRestrict } from '../protocol/call-control.js';
import { blacklistBlocks, type BlacklistRule } from '../protocol/secret-blacklist.js';
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
  /**
   * Where X's last health report came from: `queue` (an MNS message, origin proven), `push` (an
   * HTTP push, origin not provable), null (never reported, or before sources were recorded).
   */
  xHealthSource: 'queue' | 'push' | null;
  /** X is locked (LockSecretNo): it routes no call. */
  xLocked: boolean;
  /** The binding's call restriction: the party that may not call X now. */
  callRestrict: CallRestrict | null;
  /** The pool's blacklist entries that name A or B. */
  blacklist: BlacklistRule[];
}

/**
 * Whether X is abnormal on the word of a source whose origin is proven (the message queue): the
 * only health that may send a caller to the other party's real number. A pushed report cannot be
 * told from a forged one (anyone holding the push URL's secret can send it), so it never does.
 */
export function provenAbnormal(target: RoutingTarget): boolean {
  return target.xHealth === 'abnormal' && target.xHealthSource === 'queue';
}

/**
 * Why the provider's own rules stop this party's calls through X (invariant 8: a restricted
 * direction never routes, here or at the provider), or undefined when they do not. Checked in
 * the order the provider applies them: the blacklist, then the binding's restriction; a locked X
 * stops both parties here (the provider itself keeps connecting live bindings on a locked X).
 */
export function refusalFor(
  target: RoutingTarget,
  role: PartyRole,
): 'blacklisted' | 'restricted' | 'x-locked' | undefined {
  const caller = role === 'A' ? target.phoneA : target.phoneB;
  const callee = otherParty(target, role);
  if (target.blacklist.some((rule) => blacklistBlocks(rule, caller, callee))) return 'blacklisted';
  if (restrictionBlocks(target.callRestrict, role)) return 'restricted';
  if (target.xLocked) return 'x-locked';
  return undefined;
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
