import {
  ProviderCodeError,
  ProviderConnectionError,
  ProviderError,
  ProviderTimeoutError,
} from '../../provider/errors/index.js';
import { DomainError } from './domain-error.js';

/**
 * How a provider failure reaches our callers: a stable code and HTTP status per kind of failure
 * (the table is in the README), with the provider's own Code and RequestId in `details`.
 */
export function providerFailure(
  error: ProviderError,
  extra: Record<string, unknown> = {},
): DomainError {
  const details: Record<string, unknown> = {
    action: error.action,
    ...(error.requestId ? { providerRequestId: error.requestId } : {}),
    ...extra,
  };
  if (error.mutating && error.outcome === 'unknown') {
    return new DomainError(
      'PROVIDER_OUTCOME_UNKNOWN',
      `The provider did not confirm ${error.action}; the outcome is being reconciled`,
      error instanceof ProviderTimeoutError ? 504 : 502,
      { ...details, ...(error instanceof ProviderCodeError ? { providerCode: error.code } : {}) },
    );
  }
  if (error instanceof ProviderCodeError) {
    const withCode = { ...details, providerCode: error.code };
    switch (error.kind) {
      case 'throttled':
        return new DomainError(
          'PROVIDER_FLOW_LIMIT',
          'The provider is rate limiting us; retry later',
          429,
          withCode,
        );
      case 'exhausted':
        return new DomainError(
          'NUMBERS_EXHAUSTED',
          'No middle number is available for this request',
          503,
          withCode,
        );
      case 'unavailable':
      case 'internal':
        return new DomainError(
          'PROVIDER_UNAVAILABLE',
          'The provider failed; retry later',
          502,
          withCode,
        );
      case 'invalid-argument':
        return new DomainError(
          'PROVIDER_REJECTED_ARGUMENT',
          `The provider rejected the request (${error.code})`,
          400,
          withCode,
        );
      case 'conflict':
        return new DomainError(
          'BIND_CONFLICT',
          `The provider reported a conflict (${error.code})`,
          409,
          withCode,
        );
      case 'forbidden-state':
        return new DomainError(
          'PROVIDER_FORBIDDEN_ACTION',
          `The provider refused the change in the binding's state (${error.code})`,
          409,
          withCode,
        );
      case 'not-found':
        return new DomainError(
          'PROVIDER_NOT_FOUND',
          `The provider does not know it (${error.code})`,
          409,
          withCode,
        );
      default:
        // auth, permission, account, unknown: our configuration or account, not the caller.
        return new DomainError(
          'PROVIDER_REFUSED',
          `The provider refused the call (${error.code})`,
          502,
          withCode,
        );
    }
  }
  if (error instanceof ProviderTimeoutError) {
    return new DomainError('PROVIDER_TIMEOUT', 'The provider did not answer in time', 504, details);
  }
  if (error instanceof ProviderConnectionError) {
    return new DomainError(
      'PROVIDER_UNREACHABLE',
      'The provider could not be reached',
      502,
      details,
    );
  }
  return new DomainError(
    'PROVIDER_BAD_RESPONSE',
    'The provider answered with something unexpected',
    502,
    details,
  );
}
