import { MIN_TTL_MS } from '../bindings/requested-expiry.js';
import type { Binding } from '../generated/prisma/client.js';
import { ProviderCodeError, ProviderError } from '../provider/errors/index.js';
import type { BindAxbResult, SubscriptionDetail } from '../provider/provider.port.js';

/** What reconciliation decided for one pending or unknown binding. */
export type Decision =
  /** The provider holds it (found by SubsId, or just bound by the re-bind): active here. */
  | { kind: 'active'; via: 'query' | 'rebind'; subsId: string; phoneX: string }
  /** The provider reports it expired. */
  | { kind: 'expired'; via: 'query' }
  /** Proven absent at the provider: nothing there, and nothing will appear. */
  | { kind: 'failed'; reason: string; providerCode: string | null }
  /**
   * A provider binding exists (or may exist) that cannot be addressed without its SubsId: the
   * binding stays live here (unknown), holding its order and its pairs on X so nothing binds
   * them twice, until its expiry ends both sides.
   */
  | { kind: 'held'; reason: string; providerCode: string | null }
  /** Not decidable now (provider unavailable, throttled, slow): the next run tries again. */
  | { kind: 'deferred'; reason: string };

/** How reconciliation finds out about a binding. */
export type Approach = 'query' | 'rebind' | 'wait-for-expiry';

/** Margin over the provider's one-minute minimum for the Expiration of a re-bind. */
const REBIND_MARGIN_MS = 5_000;

export function approachFor(binding: Binding, now: Date): Approach {
  if (binding.subsId && binding.phoneX) return 'query';
  // Only a binding written before X was always chosen here can lack one; it cannot be asked
  // about, and a re-bind could land on another X: its expiry ends it on both sides.
  if (!binding.phoneX) return 'wait-for-expiry';
  // Too close to its expiry for the provider to accept a re-bind: the sweep ends it shortly.
  if (binding.expiresAt.getTime() - now.getTime() <= MIN_TTL_MS + REBIND_MARGIN_MS) {
    return 'wait-for-expiry';
  }
  return 'rebind';
}

/** QuerySubscriptionDetail by SubsId answers directly. */
export function decideFromDetail(
  result: { detail: SubscriptionDetail } | { error: ProviderError },
): Decision {
  if ('detail' in result) {
    const { detail } = result;
    return detail.active
      ? { kind: 'active', via: 'query', subsId: detail.subsId, phoneX: detail.phoneX }
      : { kind: 'expired', via: 'query' };
  }
  const { error } = result;
  if (error instanceof ProviderCodeError && error.kind === 'not-found') {
    return {
      kind: 'failed',
      reason: 'the provider does not know the SubsId',
      providerCode: error.code,
    };
  }
  return { kind: 'deferred', reason: error.message };
}

/**
 * The answer to BindAxb sent again with the binding's own X pinned, A, B, expiry and OutId. The
 * provider never holds two live bindings sharing A (or B) on one X, so this creates no second
 * binding whatever happened to the first request:
 * - OK: the first request never took effect (a late copy of it will now be refused), and the
 *   order has its binding, with a SubsId.
 * - BIND_CONFLICT: A or B is already on X at the provider. No other live binding of ours holds
 *   them there (unique indexes), so it is this order's first request that took effect; its
 *   SubsId was lost with the answer and no action of the port finds it.
 * - a refusal that the first request would have met as well (number not in the pool, invalid
 *   number): nothing was ever created.
 */
export function decideFromRebind(
  result: { bound: BindAxbResult } | { error: ProviderError },
): Decision {
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
    if (error.kind === 'conflict') {
      return {
        kind: 'held',
        reason: 'a binding of A or B on X exists at the provider; its SubsId is unknown',
        providerCode: error.code,
      };
    }
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
  // Timeout, dropped connection, throttling, provider fault: ask again next run (X stays pinned).
  return { kind: 'deferred', reason: `${error.name}: ${error.message}` };
}
