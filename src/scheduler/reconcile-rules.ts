import { MIN_TTL_MS } from '../bindings/requested-expiry.js';
import type { Binding } from '../generated/prisma/client.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import type { BindAxbResult, SubscriptionDetail } from '../provider/provider.port.js';

/**
 * What reconciliation decided for one binding. Every kind but `deferred` settles it: reconciliation
 * never gives up, it only waits (with backoff) until the provider can be asked.
 */
export type Decision =
  /** The provider holds it (found by SubsId, just bound by the re-bind, or found on X): active. */
  | { kind: 'active'; via: 'query' | 'rebind' | 'lookup'; subsId: string; phoneX: string }
  /** The provider reports it expired (Status 0): it ends `expired`, nothing live there. */
  | { kind: 'expired'; via: 'query' | 'lookup' }
  /** Proven absent at the provider: nothing there, and nothing will appear. */
  | { kind: 'failed'; reason: string; providerCode: string | null }
  /**
   * Nothing of the binding is live at the provider any more (unbound there now, or found gone):
   * an `unbinding` binding ends `unbound`; an ended one has had its provider side checked.
   */
  | { kind: 'gone'; subsId: string | null; unboundNow: boolean }
  /** Not decidable now (provider unavailable, throttled, slow, conflict not found yet): later. */
  | { kind: 'deferred'; reason: string };

/**
 * How reconciliation finds out about a binding whose bind outcome is open (pending, unknown):
 * ask by SubsId, re-bind on its own X, or wait for its expiry (the sweep ends it; its provider
 * side is checked then).
 */
export type Approach = 'query' | 'rebind' | 'wait-for-expiry';

/** Margin over the provider's one-minute minimum for the Expiration of a re-bind. */
const REBIND_MARGIN_MS = 5_000;

export function approachFor(binding: Binding, now: Date): Approach {
  if (binding.subsId && binding.phoneX) return 'query';
  // Only a binding written before X was always chosen here can lack one; it cannot be asked
  // about, and a re-bind could land on another X: its expiry ends it on both sides.
  if (!binding.phoneX) return 'wait-for-expiry';
  // Too close to its expiry for the provider to accept a re-bind: the sweep ends it shortly, and
  // reconciliation then checks that nothing is left at the provider.
  if (binding.expiresAt.getTime() - now.getTime() <= MIN_TTL_MS + REBIND_MARGIN_MS) {
    return 'wait-for-expiry';
  }
  return 'rebind';
}

/** QuerySubscriptionDetail by SubsId answers directly. */
export function decideFromDetail(
  result: { detail: SubscriptionDetail } | { error: ProviderError },
  via: 'query' | 'lookup' = 'query',
): Decision {
  if ('detail' in result) {
    const { detail } = result;
    return detail.active
      ? { kind: 'active', via, subsId: detail.subsId, phoneX: detail.phoneX }
      : { kind: 'expired', via };
  }
  const { error } = result;
  if (error instanceof ProviderCodeError && error.kind === 'not-found') {
    return {
      kind: 'failed',
      reason: 'the provider does not know the SubsId',
      providerCode: error.code,
    };
  }
  return { kind: 'deferred', reason: `${error.name}: ${error.message}` };
}

/**
 * The answer to BindAxb sent again with the binding's own X pinned, A, B, expiry and OutId. The
 * provider never holds two live bindings sharing A (or B) on one X, so this creates no second
 * binding whatever happened to the first request:
 * - OK: the first request never took effect (a late copy of it will now be refused), and the
 *   order has its binding, with a SubsId.
 * - BIND_CONFLICT: A or B is already on X at the provider. No other live binding of ours holds
 *   them there (unique indexes), so it is most likely this order's first request that took
 *   effect: `look-up` (QuerySubsId on X, then the detail of each) finds its SubsId.
 * - a refusal that the first request would have met as well (number not in the pool, invalid
 *   number): nothing was ever created.
 */
export function decideFromRebind(
  result: { bound: BindAxbResult } | { error: ProviderError },
): Decision | { kind: 'look-up' } {
  if ('bound' in result) {
    return {
      kind: 'active',
      via: 'rebind',
      subsId: result.bound.subsId,
      phoneX: result.bound.phoneX,
    };
  }
  const { error } = result;
  if (error instanceof ProviderCodeError) {
    if (error.kind === 'conflict') return { kind: 'look-up' };
    // The expiry check depends on the time of asking: the first request may have passed it.
    const sameForFirst =
      error.kind === 'not-found' ||
      (error.kind === 'invalid-argument' && error.code !== 'isv.EXPIRE_DATE_ILLEGAL');
    if (sameForFirst && error.outcome === 'not-applied') {
      return {
        kind: 'failed',
        reason: 'the provider refuses this binding outright',
        providerCode: error.code,
      };
    }
  }
  // Timeout, dropped connection, throttling, provider fault: ask again later (X stays pinned).
  return { kind: 'deferred', reason: `${error.name}: ${error.message}` };
}

/**
 * The wait before a binding's next attempt after `failures` failed ones in a row: `baseSeconds`,
 * doubled per further failure, never more than `maxSeconds`.
 */
export function backoffMs(failures: number, baseSeconds: number, maxSeconds: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(baseSeconds * 2 ** exponent, maxSeconds) * 1000;
}
