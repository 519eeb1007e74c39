import { sign, stringToSign } from '../../src/protocol/signature.js';
import { parseTimestamp } from '../../src/protocol/timestamp.js';
import { ApiError, missingParameter } from './api-error.js';
import type { NonceCache } from './nonce-cache.js';
import type { Params } from './params.js';

export const API_VERSION = '2017-05-25';

const COMMON_PARAMETERS = [
  'Action',
  'Version',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
] as const;

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  timestampSkewMs: number;
}

/**
 * The gateway's checks, in order: common parameters present, Version, Action known, AccessKeyId
 * known, Timestamp format and skew (against the real clock: clients sign with it), Signature for
 * the method used, then the nonce — recorded only for correctly signed requests, so a forged
 * request cannot burn a real client's nonce.
 */
export function authenticate(
  method: string,
  params: Params,
  knownActions: ReadonlySet<string>,
  credentials: Credentials,
  nonces: NonceCache,
): void {
  for (const name of COMMON_PARAMETERS) {
    if (!params[name]) throw missingParameter(name);
  }
  if (params.Version !== API_VERSION) {
    throw new ApiError('InvalidVersion', `Specified parameter Version is not valid.`, 400);
  }
  if (!knownActions.has(params.Action ?? '')) {
    throw new ApiError(
      'InvalidAction.NotFound',
      'Specified api is not found, please check your url and method.',
      404,
    );
  }
  if (params.AccessKeyId !== credentials.accessKeyId) {
    throw new ApiError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404);
  }
  if (params.SignatureMethod !== 'HMAC-SHA1') {
    throw new ApiError('InvalidSignatureMethod', 'Specified signature method is not valid.', 400);
  }
  if (params.SignatureVersion !== '1.0') {
    throw new ApiError('InvalidSignatureVersion', 'Specified signature version is not valid.', 400);
  }
  const timestamp = parseTimestamp(params.Timestamp ?? '');
  if (!timestamp) {
    throw new ApiError(
      'InvalidTimeStamp.Format',
      'Specified time stamp or date value is not well formatted.',
      400,
    );
  }
  const now = Date.now();
  if (Math.abs(now - timestamp.getTime()) > credentials.timestampSkewMs) {
    throw new ApiError(
      'InvalidTimeStamp.Expired',
      'Specified time stamp or date value is expired.',
      400,
    );
  }
  const expected = sign(method, params, credentials.accessKeySecret);
  if (params.Signature !== expected) {
    throw new ApiError(
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, params)}`,
      400,
    );
  }
  if (!nonces.remember(credentials.accessKeyId, params.SignatureNonce ?? '', now)) {
    throw new ApiError('SignatureNonceUsed', 'Specified signature nonce was used already.', 400);
  }
}
