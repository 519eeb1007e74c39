import type { CallStatus, CallStatusResult } from '../provider/provider.port.js';
import { otherParty, provenAbnormal, type RoutingTarget } from './routing-target.js';
import type { PartyRole } from './route-cache.js';

export type RouteSource = 'provider' | 'cache' | 'local';
export type RouteFallback = 'real-number' | 'none';

/**
 * Why the provider was not (or not usefully) asked: the decision was then made locally.
 * `unknown-subscription`: the provider does not know the binding, so X cannot connect it.
 */
export type LocalCause =
  | 'circuit-open'
  | 'provider-refused'
  | 'budget-exceeded'
  | 'flow-limit'
  | 'provider-error'
  | 'unknown-subscription';

/** The answer of POST /v1/routing/lookup. */
export interface RouteAnswer {
  action: 'dial' | 'none';
  /** The number to dial; null when there is no route. */
  dial: string | null;
  /** QueryCallStatus semantics: 1 X, 2 temporary X, 3 the real number, 4 expired. */
  status: CallStatus;
  source: RouteSource;
  bindingId: string;
  reason: string;
}

const dial = (
  target: RoutingTarget,
  status: CallStatus,
  number: string,
  source: RouteSource,
  reason: string,
): RouteAnswer => ({ action: 'dial', dial: number, status, source, bindingId: target.id, reason });

/** Status 4: the binding has ended; nothing to dial. */
export function expiredAnswer(
  target: RoutingTarget,
  source: RouteSource,
  reason = 'expired',
): RouteAnswer {
  return { action: 'none', dial: null, status: 4, source, bindingId: target.id, reason };
}

/** X cannot carry the call and no temporary X is known: the configured fallback (status 3). */
function fallbackAnswer(
  target: RoutingTarget,
  role: PartyRole,
  fallback: RouteFallback,
  source: RouteSource,
  reason: string,
): RouteAnswer {
  if (fallback === 'none') {
    return {
      action: 'none',
      dial: null,
      status: 3,
      source,
      bindingId: target.id,
      reason: `${reason}, no fallback`,
    };
  }
  return dial(target, 3, otherParty(target, role), source, reason);
}

/** The provider's QueryCallStatus answer, turned into what to dial. */
export function answerFromProvider(
  target: RoutingTarget,
  role: PartyRole,
  result: CallStatusResult,
  fallback: RouteFallback,
): RouteAnswer {
  switch (result.status) {
    case 1:
      return dial(target, 1, target.phoneX!, 'provider', 'x-normal');
    case 2:
      return dial(target, 2, result.calledNo!, 'provider', 'temporary-x');
    case 3:
      return fallbackAnswer(target, role, fallback, 'provider', 'x-abnormal');
    case 4:
      return expiredAnswer(target, 'provider');
  }
}

/**
 * The local rule, when the provider cannot answer: X healthy in the inventory → dial X; X
 * abnormal by a report whose origin is proven (the message queue) → the fallback; X abnormal only
 * by an HTTP push → dial X all the same (`x-abnormal-unproven`): a pushed report may be forged,
 * and must not be what hands a caller the other party's real number. The binding's state and
 * expiry are checked before this is reached.
 */
export function answerLocally(
  target: RoutingTarget,
  role: PartyRole,
  cause: LocalCause,
  fallback: RouteFallback,
): RouteAnswer {
  if (cause === 'unknown-subscription') {
    return fallbackAnswer(target, role, fallback, 'local', cause);
  }
  if (provenAbnormal(target)) {
    return fallbackAnswer(target, role, fallback, 'local', `${cause}; x-abnormal`);
  }
  const health = target.xHealth === 'abnormal' ? 'x-abnormal-unproven' : 'x-healthy';
  return dial(target, 1, target.phoneX!, 'local', `${cause}; ${health}`);
}

/**
 * A status-1 answer reused from the cache: dial the binding's X. One (frozen) answer per cached
 * binding, its body text made once beside it (see answerBody): a cache hit builds neither.
 */
export function cachedAnswer(target: RoutingTarget): RouteAnswer {
  let answer = cachedAnswers.get(target);
  if (answer === undefined) {
    answer = Object.freeze(dial(target, 1, target.phoneX!, 'cache', 'x-normal'));
    cachedAnswers.set(target, answer);
    bodies.set(answer, JSON.stringify(answer));
  }
  return answer;
}

/**
 * What an answer is counted as (`<status>/<source>/<reason>`); a cached answer's (the only source
 * `cache` makes, see cachedAnswer) without building the text on every hit.
 */
export function outcomeOf(answer: RouteAnswer): string {
  return answer.source === 'cache'
    ? CACHED_OUTCOME
    : `${answer.status}/${answer.source}/${answer.reason}`;
}

const CACHED_OUTCOME = '1/cache/x-normal';

const cachedAnswers = new WeakMap<RoutingTarget, RouteAnswer>();
const bodies = new WeakMap<RouteAnswer, string>();

/** The answer as the response body's JSON text (made once for a cached answer). */
export function answerBody(answer: RouteAnswer): string {
  return bodies.get(answer) ?? JSON.stringify(answer);
}
