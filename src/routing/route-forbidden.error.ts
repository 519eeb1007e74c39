import { DomainError } from '../common/errors/domain-error.js';

/**
 * The one refusal of a routing lookup. The same code and message whether the binding does not
 * exist, is not live, or the caller is not one of its parties: the answer reveals nothing.
 */
export class RouteForbiddenError extends DomainError {
  constructor() {
    super('ROUTE_FORBIDDEN', 'No route for this caller', 403);
  }
}
