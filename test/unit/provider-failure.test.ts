import { describe, expect, it } from 'vitest';
import {
  PROVIDER_CODES,
  ProviderAbortedError,
  ProviderBadResponseError,
  ProviderCodeError,
  ProviderConnectionError,
  ProviderHttpError,
  ProviderTimeoutError,
  type ProviderError,
} from '../../src/provider/errors/index.js';
import { PROVIDER_FAILURES, providerFailure } from '../../src/provider/provider-failure.js';

const read = { action: 'QuerySubscriptionDetail', mutating: false, attempt: 1 };
const write = { action: 'BindAxb', mutating: true, attempt: 1 };
const codeError = (code: string, ctx = read) =>
  new ProviderCodeError(ctx, { code, message: 'm', requestId: 'R1', httpStatus: 200 });

const EXPECTED: Record<string, [string, number]> = {
  throttled: ['PROVIDER_FLOW_LIMIT', 429],
  exhausted: ['NUMBERS_EXHAUSTED', 503],
  unavailable: ['PROVIDER_UNAVAILABLE', 502],
  internal: ['PROVIDER_UNAVAILABLE', 502],
  'invalid-argument': ['PROVIDER_REJECTED_ARGUMENT', 400],
  conflict: ['BIND_CONFLICT', 409],
  'forbidden-state': ['PROVIDER_FORBIDDEN_ACTION', 409],
  'not-found': ['PROVIDER_NOT_FOUND', 409],
  auth: ['PROVIDER_REFUSED', 502],
  permission: ['PROVIDER_REFUSED', 502],
  account: ['PROVIDER_REFUSED', 502],
  unknown: ['PROVIDER_REFUSED', 502],
};

describe('providerFailure', () => {
  it('maps every known provider Code by its kind, keeping Code and RequestId', () => {
    for (const [code, cls] of Object.entries(PROVIDER_CODES)) {
      const failure = providerFailure(codeError(code));
      expect([failure.code, failure.status], code).toEqual(EXPECTED[cls.kind]);
      expect(failure.details).toMatchObject({ providerCode: code, providerRequestId: 'R1' });
    }
    expect(providerFailure(codeError('Something.New')).code).toBe('PROVIDER_REFUSED');
  });

  it('a write the provider may have applied is PROVIDER_OUTCOME_UNKNOWN', () => {
    expect(providerFailure(codeError('isp.SYSTEM_ERROR', write))).toMatchObject({
      code: 'PROVIDER_OUTCOME_UNKNOWN',
      status: 502,
    });
    expect(providerFailure(new ProviderTimeoutError(write, 100))).toMatchObject({
      code: 'PROVIDER_OUTCOME_UNKNOWN',
      status: 504,
    });
  });

  it('transport failures of reads keep their own codes', () => {
    expect(providerFailure(new ProviderTimeoutError(read, 100)).code).toBe('PROVIDER_TIMEOUT');
    expect(providerFailure(new ProviderConnectionError(read, 'ECONNREFUSED')).code).toBe(
      'PROVIDER_UNREACHABLE',
    );
  });

  it('a write answered with a body that is not JSON, or an HTTP 5xx without a Code, is PROVIDER_OUTCOME_UNKNOWN', () => {
    // The provider may have applied it: a bind must not be told it failed (README said BAD_RESPONSE).
    const notJson = (status: number, ctx = write) =>
      new ProviderBadResponseError(ctx, { reason: 'not-json', status, body: '<html>' });
    expect(providerFailure(notJson(200))).toMatchObject({
      code: 'PROVIDER_OUTCOME_UNKNOWN',
      status: 502,
    });
    expect(providerFailure(notJson(502))).toMatchObject({
      code: 'PROVIDER_OUTCOME_UNKNOWN',
      status: 502,
    });
    expect(providerFailure(new ProviderHttpError(write, 503))).toMatchObject({
      code: 'PROVIDER_OUTCOME_UNKNOWN',
      status: 502,
    });
    // Refused before acting (a 4xx), or a read: nothing happened, the answer was just bad.
    expect(providerFailure(notJson(400)).code).toBe('PROVIDER_BAD_RESPONSE');
    expect(providerFailure(new ProviderHttpError(write, 403)).code).toBe('PROVIDER_BAD_RESPONSE');
    expect(providerFailure(notJson(502, read)).code).toBe('PROVIDER_BAD_RESPONSE');
  });

  it('answers by the rows of PROVIDER_FAILURES (the README table), each row reachable', () => {
    const examples: ProviderError[] = [
      new ProviderTimeoutError(write, 100),
      new ProviderConnectionError(write, 'ECONNRESET'),
      new ProviderAbortedError(write, true),
      ...Object.keys(PROVIDER_CODES).map((code) => codeError(code)),
      new ProviderTimeoutError(read, 100),
      new ProviderConnectionError(write, 'ECONNREFUSED'),
      new ProviderHttpError(read, 500),
      new ProviderAbortedError(read, false),
    ];
    const used = new Set<number>();
    for (const error of examples) {
      const rule = PROVIDER_FAILURES.findIndex((r) => r.matches(error));
      used.add(rule);
      const failure = providerFailure(error);
      expect([failure.code, failure.status]).toEqual([
        PROVIDER_FAILURES[rule]!.code,
        PROVIDER_FAILURES[rule]!.status,
      ]);
    }
    expect([...used].sort((a, b) => a - b)).toEqual(PROVIDER_FAILURES.map((_, i) => i));
  });
});
