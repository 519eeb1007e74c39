import { describe, expect, it } from 'vitest';
import {
  classifyProviderCode,
  ProviderBadResponseError,
  ProviderCodeError,
  ProviderConnectionError,
  ProviderError,
  ProviderHttpError,
  ProviderTimeoutError,
  PROVIDER_CODES,
} from '../../src/provider/errors/index.js';

const write = { action: 'BindAxb', mutating: true, attempt: 1 };
const read = { action: 'QueryCallStatus', mutating: false, attempt: 2, callerRequestId: 'c' };

describe('provider code classification', () => {
  it.each([
    ['isv.FLOW_LIMIT', 'throttled'],
    ['Throttling.User', 'throttled'],
    ['Throttling.Whatever', 'throttled'],
    ['ServiceUnavailable', 'unavailable'],
    ['isp.VENDOR_UNAVALIABLE', 'unavailable'],
    ['isp.VENDOR_UNAVAILABLE', 'unavailable'],
    ['isp.SYSTEM_ERROR', 'internal'],
    ['isp.SOMETHING_NEW', 'internal'],
  ])('%s is retryable (%s)', (code, kind) => {
    expect(classifyProviderCode(code)).toMatchObject({ kind, retryable: true });
  });

  it.each([
    ['isv.BIND_CONFLICT', 'conflict'],
    ['isv.UPDATE_CONFLICT', 'conflict'],
    ['isv.NO_AVAILABLE_NUMBER', 'exhausted'],
    ['isv.PHONE_NOT_ENOUGH', 'exhausted'],
    ['isv.SUBS_NOT_EXIST', 'not-found'],
    ['isv.POOLKEY_NOT_EXISTS', 'not-found'],
    ['isv.SUBS_NOT_BELONG', 'permission'],
    ['isv.BUY_NUM_OVER_LIMIT', 'invalid-argument'],
    ['isv.FORBIDDEN_ACTION', 'forbidden-state'],
    ['isv.EXPIRE_DATE_ILLEGAL', 'invalid-argument'],
    ['isv.MOBILE_NUMBER_ILLEGAL', 'invalid-argument'],
    ['isv.INVALID_PARAMETERS', 'invalid-argument'],
    ['isp.RAM_PERMISSION_DENY', 'permission'],
    ['SignatureDoesNotMatch', 'auth'],
    ['SignatureNonceUsed', 'auth'],
    ['InvalidAccessKeyId.NotFound', 'auth'],
    ['InvalidTimeStamp.Expired', 'auth'],
    ['isv.OUT_OF_SERVICE', 'account'],
    ['isv.SOMETHING_NEW', 'unknown'],
    ['constructor', 'unknown'],
  ])('%s is final (%s)', (code, kind) => {
    expect(classifyProviderCode(code)).toMatchObject({
      kind,
      retryable: false,
      maybeApplied: false,
    });
  });

  it('only provider-internal failures may have applied a write', () => {
    const maybe = Object.entries(PROVIDER_CODES)
      .filter(([, c]) => c.maybeApplied)
      .map(([code]) => code);
    expect(maybe.every((code) => classifyProviderCode(code).kind === 'internal')).toBe(true);
    expect(maybe).toContain('isp.SYSTEM_ERROR');
  });
});

describe('provider errors', () => {
  it('keep Code, Message and RequestId, mask numbers in the message, and judge the outcome', () => {
    const err = new ProviderCodeError(write, {
      code: 'isp.SYSTEM_ERROR',
      message: 'failed for 13800001234',
      requestId: 'R1',
      httpStatus: 500,
    });
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      name: 'ProviderCodeError',
      code: 'isp.SYSTEM_ERROR',
      providerMessage: 'failed for 13800001234',
      requestId: 'R1',
      action: 'BindAxb',
      retryable: true,
      outcome: 'unknown',
    });
    expect(err.message).not.toContain('13800001234');
    expect(err.message).toContain('138****1234');
    const onRead = new ProviderCodeError(read, {
      code: 'isp.SYSTEM_ERROR',
      message: '',
      httpStatus: 500,
    });
    expect(onRead).toMatchObject({ outcome: 'not-applied', callerRequestId: 'c', attempt: 2 });
  });

  it('judge transport failures: sent writes are unknown, refused connections are not applied', () => {
    expect(new ProviderTimeoutError(write, 100)).toMatchObject({
      outcome: 'unknown',
      retryable: true,
    });
    expect(new ProviderTimeoutError(read, 100).outcome).toBe('not-applied');
    expect(new ProviderConnectionError(write, 'ECONNRESET')).toMatchObject({
      sent: true,
      outcome: 'unknown',
    });
    expect(new ProviderConnectionError(write, 'UND_ERR_SOCKET').outcome).toBe('unknown');
    expect(new ProviderConnectionError(write, 'ECONNREFUSED')).toMatchObject({
      sent: false,
      outcome: 'not-applied',
    });
    expect(new ProviderConnectionError(write, 'UND_ERR_CONNECT_TIMEOUT').outcome).toBe(
      'not-applied',
    );
  });

  it('judge HTTP and body failures by status', () => {
    expect(new ProviderHttpError(write, 503)).toMatchObject({
      retryable: true,
      outcome: 'unknown',
    });
    expect(new ProviderHttpError(write, 404)).toMatchObject({
      retryable: false,
      outcome: 'not-applied',
    });
    expect(new ProviderHttpError(write, 429)).toMatchObject({
      retryable: true,
      outcome: 'not-applied',
    });
    const garbled = new ProviderBadResponseError(write, {
      reason: 'not-json',
      status: 502,
      body: '<html>proxy for 13800001234</html>',
    });
    expect(garbled).toMatchObject({ retryable: true, outcome: 'unknown' });
    expect(garbled.bodySnippet).toBe('<html>proxy for 138****1234</html>');
    const noDto = new ProviderBadResponseError(write, {
      reason: 'missing-dto',
      status: 200,
      body: '{}',
    });
    expect(noDto).toMatchObject({ retryable: false, outcome: 'unknown' });
    const refused = new ProviderBadResponseError(write, {
      reason: 'not-json',
      status: 400,
      body: 'x',
    });
    expect(refused).toMatchObject({ retryable: false, outcome: 'not-applied' });
  });
});
