import type { BindingState } from '../generated/prisma/enums.js';

/**
 * States in which a binding holds its outId and its (X, A) / (X, B) pairs: the one TypeScript
 * list. Its SQL twin is the function `binding_state_live(state)` (prisma/sql/010_binding_states.sql);
 * a binding in one of these states has a row in `live_pairs` (prisma/sql/020_live_pairs.sql keeps
 * it), whose unique indexes carry invariants 1 and 2; the number of live pairs on X at t is
 * `x_live_pairs(x, t)`. test/database/bind-path-sql.test.ts checks that this list and that
 * function agree and that no other SQL function spells the states out.
 */
export const LIVE_STATES: readonly BindingState[] = ['pending', 'active', 'unknown', 'unbinding'];

/**
 * Live states whose provider side is not settled: reconciliation settles them (pending past the
 * grace period, unknown, unbinding); SQL twin `binding_state_open(state)`. Only `active` routes
 * calls.
 */
export const OPEN_STATES: readonly BindingState[] = ['pending', 'unknown', 'unbinding'];

/** What happened to a binding; the `kind` of a binding event. */
export const EventKind = {
  created: 'created',
  bound: 'bound',
  attemptFailed: 'attempt_failed',
  failed: 'failed',
  outcomeUnknown: 'outcome_unknown',
  updated: 'updated',
  updateFailed: 'update_failed',
  /** The order service ended the trip: the driver may no longer call; the contact window opens. */
  tripEnded: 'trip_ended',
  /** The order service asked to unbind (DELETE); the provider side is being ended. */
  unbindRequested: 'unbind_requested',
  /** UnbindSubscription did not confirm; the binding stays `unbinding` for reconciliation. */
  unbindFailed: 'unbind_failed',
  unbound: 'unbound',
  expired: 'expired',
  reconciled: 'reconciled',
  routed: 'routed',
  callRecorded: 'call_recorded',
  callProgress: 'call_progress',
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
