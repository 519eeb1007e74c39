import { DomainError } from '../common/errors/domain-error.js';
import {
  ProviderCodeError,
  ProviderConnectionError,
  ProviderError,
  ProviderTimeoutError,
  type ProviderCodeKind,
} from './errors/index.js';

interface Outcome {
  code: string;
  status: number;
  message: (error: ProviderCodeError) => string;
}

const refused: Outcome = {
  code: 'PROVIDER_REFUSED',
  status: 502,
  message: (e) => `The provider refused the call (${e.code})`,
};
const unavailable: Outcome = {
  code: 'PROVIDER_UNAVAILABLE',
  status: 502,
  message: () => 'The provider failed; retry later',
};

/**
 * What a provider Code means to our callers, by kind (the README's table). auth, permission,
 * account and unknown codes are our configuration or account, not the caller: PROVIDER_REFUSED.
 */
const BY_KIND: Readonly<Record<ProviderCodeKind, Outcome>> = {
  throttled: {
    code: 'PROVIDER_FLOW_LIMIT',
    status: 429,
    message: () => 'The provider is rate limiting us; retry later',
  },
  exhausted: {
    code: 'NUMBERS_EXHAUSTED',
    status: 503,
    message: () => 'No middle number is available for this request',
  },
  unavailable,
  internal: unavailable,
  'invalid-argument': {
    code: 'PROVIDER_REJECTED_ARGUMENT',
    status: 400,
    message: (e) => `The provider rejected the request (${e.code})`,
  },
  conflict: {
    code: 'BIND_CONFLICT',
    status: 409,
    message: (e) => `The provider reported a conflict (${e.code})`,
  },
  'forbidden-state': {
    code: 'PROVIDER_FORBIDDEN_ACTION',
    status: 409,
    message: (e) => `The provider refused the change in the binding's state (${e.code})`,
  },
  'not-found': {
    code: 'PROVIDER_NOT_FOUND',
    status: 409,
    message: (e) => `The provider does not know it (${e.code})`,
  },
  auth: refused,
  permission: refused,
  account: refused,
  unknown: refused,
};

/**
 * How a provider failure reaches our callers: a stable code and HTTP status per kind of failure,
 * with the provider's own Code and RequestId in `details`. It lives with the provider's errors
 * (provider → common/errors), so common/ does not import provider/ back.
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
    const outcome = BY_KIND[error.kind];
    return new DomainError(outcome.code, outcome.message(error), outcome.status, {
      ...details,
      providerCode: error.code,
    });
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
