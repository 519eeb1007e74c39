import { DATABASE_RETRY_AFTER_SECONDS } from '../common/errors/database-unavailable.js';
import { DomainError } from '../common/errors/domain-error.js';

/**
 * **503 `BIND_OUTCOME_PENDING`**: the provider answered the bind, but the database could not record
 * the answer within DATABASE_QUERY_TIMEOUT_MS (retries included). The binding is kept `pending`
 * (written before the provider was called), so reconciliation finds it and settles it with what
 * the provider holds; nothing is bound twice. The caller does not know the outcome yet: replaying
 * the same bind later returns the binding as it then is (it never binds a second time).
 */
export class BindOutcomePendingError extends DomainError {
  constructor(bindingId: string, providerAnswer: 'bound' | 'failed' | 'unknown') {
    super(
      'BIND_OUTCOME_PENDING',
      'The bind reached the provider but its outcome could not be recorded (database unavailable); ' +
        'it will be settled by reconciliation: replay the same request later to learn it',
      503,
      { bindingId, providerAnswer, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    );
  }
}
