import { describe, expect, it } from 'vitest';
import {
  PROVIDER_CODES,
  ProviderCodeError,
  ProviderConnectionError,
  ProviderTimeoutError,
} from '../../src/provider/errors/index.js';
import { providerFailure } from '../../src/provider/provider-failure.js';

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
});
