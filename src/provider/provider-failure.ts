import { DomainError } from '../common/errors/domain-error.js';
import {
  PROVIDER_CODES,
  ProviderCodeError,
  ProviderConnectionError,
  ProviderError,
  ProviderTimeoutError,
  type ProviderCodeKind,
} from './errors/index.js';

/**
 * One row of the table below: which provider failures it takes, what our callers get, and how the
 * README says it (`when`, followed by the known Codes of `kinds`). The README's "Provider errors"
 * table is generated from these rows (src/cli/error-tables.ts; a test keeps them equal), and
 * providerFailure() answers by the same rows, so the two cannot disagree.
 */
export interface ProviderFailureRule {
  code: string;
  status: number;
  when: string;
  /** Provider Codes of these kinds are listed after `when` (from PROVIDER_CODES). */
  kinds?: readonly ProviderCodeKind[];
  matches(error: ProviderError): boolean;
  message(error: ProviderError): string;
}

/** A write the provider may have applied: never retried blindly, reconciled from the provider. */
const maybeApplied = (e: ProviderError) => e.mutating && e.outcome === 'unknown';
const ofKind =
  (...kinds: ProviderCodeKind[]) =>
  (e: ProviderError) =>
    e instanceof ProviderCodeError && kinds.includes(e.kind);
const providerCode = (e: ProviderError) => (e instanceof ProviderCodeError ? e.code : '?');

/**
 * What a provider failure means to our callers, first matching row first. auth, permission,
 * account and unknown Codes are our configuration or account, not the caller: PROVIDER_REFUSED.
 */
export const PROVIDER_FAILURES: readonly ProviderFailureRule[] = [
  {
    code: 'PROVIDER_OUTCOME_UNKNOWN',
    status: 504,
    when: 'a write (BindAxb, UpdateSubscription…) timed out: the provider may have applied it (binding `unknown`, reconciled later)',
    matches: (e) => maybeApplied(e) && e instanceof ProviderTimeoutError,
    message: (e) => `The provider did not confirm ${e.action}; the outcome is being reconciled`,
  },
  {
    code: 'PROVIDER_OUTCOME_UNKNOWN',
    status: 502,
    when:
      'a write the provider may have applied but did not confirm: connection reset after sending, ' +
      'a provider-internal Code (`isp.*`, `InternalError`…), an HTTP 5xx without a Code, a body ' +
      'that is not JSON (2xx or 5xx) or a 2xx without its fields, cancelled after sending ' +
      '(binding `unknown`, reconciled later)',
    matches: maybeApplied,
    message: (e) => `The provider did not confirm ${e.action}; the outcome is being reconciled`,
  },
  {
    code: 'PROVIDER_FLOW_LIMIT',
    status: 429,
    when: 'the provider is rate limiting us; unlisted `Throttling*` too',
    kinds: ['throttled'],
    matches: ofKind('throttled'),
    message: () => 'The provider is rate limiting us; retry later',
  },
  {
    code: 'NUMBERS_EXHAUSTED',
    status: 503,
    when: 'the provider has no number for the request',
    kinds: ['exhausted'],
    matches: ofKind('exhausted'),
    message: () => 'No middle number is available for this request',
  },
  {
    code: 'PROVIDER_REJECTED_ARGUMENT',
    status: 400,
    when: 'the provider rejected an argument; unlisted `Missing*`/`Invalid*` too',
    kinds: ['invalid-argument'],
    matches: ofKind('invalid-argument'),
    message: (e) => `The provider rejected the request (${providerCode(e)})`,
  },
  {
    code: 'BIND_CONFLICT',
    status: 409,
    when: 'a party is already bound on X at the provider (a bind tries other numbers first), a concurrent update',
    kinds: ['conflict'],
    matches: ofKind('conflict'),
    message: (e) => `The provider reported a conflict (${providerCode(e)})`,
  },
  {
    code: 'PROVIDER_FORBIDDEN_ACTION',
    status: 409,
    when: "not allowed in the binding's state at the provider (e.g. updating an expired binding)",
    kinds: ['forbidden-state'],
    matches: ofKind('forbidden-state'),
    message: (e) => `The provider refused the change in the binding's state (${providerCode(e)})`,
  },
  {
    code: 'PROVIDER_NOT_FOUND',
    status: 409,
    when: 'the provider does not know the subscription, number or pool',
    kinds: ['not-found'],
    matches: ofKind('not-found'),
    message: (e) => `The provider does not know it (${providerCode(e)})`,
  },
  {
    code: 'PROVIDER_UNAVAILABLE',
    status: 502,
    when:
      'the provider or its carrier failed (a read, or a write that certainly did not apply); ' +
      'unlisted `isp.*` too',
    kinds: ['unavailable', 'internal'],
    matches: ofKind('unavailable', 'internal'),
    message: () => 'The provider failed; retry later',
  },
  {
    code: 'PROVIDER_REFUSED',
    status: 502,
    when: 'signature, key, permission or account errors (our configuration), and Codes we do not know',
    kinds: ['auth', 'permission', 'account', 'unknown'],
    matches: ofKind('auth', 'permission', 'account', 'unknown'),
    message: (e) => `The provider refused the call (${providerCode(e)})`,
  },
  {
    code: 'PROVIDER_TIMEOUT',
    status: 504,
    when: 'a read did not answer in time (retries included)',
    matches: (e) => e instanceof ProviderTimeoutError,
    message: () => 'The provider did not answer in time',
  },
  {
    code: 'PROVIDER_UNREACHABLE',
    status: 502,
    when: 'the connection was refused (nothing sent; a bind is `failed`), or failed under a read',
    matches: (e) => e instanceof ProviderConnectionError,
    message: () => 'The provider could not be reached',
  },
  {
    code: 'PROVIDER_BAD_RESPONSE',
    status: 502,
    when:
      'anything else: a read answered with a body that is not JSON, an HTTP error without a ' +
      'Code or a body without its fields; a write refused with an HTTP 4xx without a Code (not ' +
      'applied); a call cancelled before it was sent (shutting down)',
    matches: () => true,
    message: () => 'The provider answered with something unexpected',
  },
];

/** The provider Codes of a rule's kinds, as the README lists them. */
export function knownCodes(rule: ProviderFailureRule): string[] {
  return Object.entries(PROVIDER_CODES)
    .filter(([, cls]) => rule.kinds?.includes(cls.kind))
    .map(([code]) => code);
}

/**
 * How a provider failure reaches our callers: the first row of PROVIDER_FAILURES that matches,
 * with the provider's own Code and RequestId in `details`. It lives with the provider's errors
 * (provider → common/errors), so common/ does not import provider/ back.
 */
export function providerFailure(
  error: ProviderError,
  extra: Record<string, unknown> = {},
): DomainError {
  const rule = PROVIDER_FAILURES.find((r) => r.matches(error))!;
  return new DomainError(rule.code, rule.message(error), rule.status, {
    action: error.action,
    ...(error.requestId ? { providerRequestId: error.requestId } : {}),
    ...extra,
    ...(error instanceof ProviderCodeError ? { providerCode: error.code } : {}),
  });
}
