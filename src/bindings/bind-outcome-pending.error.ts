import { DATABASE_RETRY_AFTER_SECONDS } from '../common/errors/database-unavailable.js';
import { DomainError } from '../common/errors/domain-error.js';

/**
 * What this request learned from the provider before the database went away: its answer to
 * BindAxb (`bound`, `failed`, or `unknown` when it did not confirm), or `not-asked` when the
 * provider was not called (the pending write itself may or may not have been recorded).
 */
export type ProviderAnswer = 'bound' | 'failed' | 'unknown' | 'not-asked';

/** Whom the answer is about: the binding when it is known, else the order. */
export type PendingSubject = { bindingId: string } | { outId: string; poolKey: string };

/**
 * **503 `BIND_OUTCOME_PENDING`**: the bind's outcome is not known yet because the database
 * became unavailable after its pending write was sent, so that write may be recorded: the
 * placement's answer never came back (it may have committed), or the provider answered and the
 * answer could not be recorded within DATABASE_QUERY_TIMEOUT_MS (retries included). A recorded
 * binding stays `pending`, so reconciliation finds it and settles it with what the provider holds;
 * nothing is bound twice. Replaying the same bind (same `outId`) later answers the binding as it
 * then is, or binds it afresh when nothing was recorded. Never DATABASE_UNAVAILABLE, which says
 * nothing was recorded.
 */
export class BindOutcomePendingError extends DomainError {
  constructor(subject: PendingSubject, providerAnswer: ProviderAnswer) {
    super(
      'BIND_OUTCOME_PENDING',
      'The outcome of the bind is not known yet: the database became unavailable after the ' +
        'binding was written (it may be recorded); replay the same request later to learn it',
      503,
      { ...subject, providerAnswer, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    );
  }
}
