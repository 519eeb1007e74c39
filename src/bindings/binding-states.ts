import { Prisma } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';

/**
 * States in which a binding holds its outId and its (X, A) / (X, B) pairs. The partial unique
 * indexes of the first migration list the same states.
 */
export const LIVE_STATES: readonly BindingState[] = ['pending', 'active', 'unknown'];

/** SQL condition: binding `alias` is live at `now` (an overdue binding frees its pairs at once). */
export function liveAt(alias: string, now: Date): Prisma.Sql {
  const a = Prisma.raw(alias);
  return Prisma.sql`${a}.state IN ('pending', 'active', 'unknown') AND ${a}.expires_at > ${now}`;
}

/** What happened to a binding; the `kind` of a binding event. */
export const EventKind = {
  created: 'created',
  bound: 'bound',
  attemptFailed: 'attempt_failed',
  failed: 'failed',
  outcomeUnknown: 'outcome_unknown',
  updated: 'updated',
  updateFailed: 'update_failed',
  unbound: 'unbound',
  expired: 'expired',
  reconciled: 'reconciled',
  routed: 'routed',
  callRecorded: 'call_recorded',
  callProgress: 'call_progress',
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
