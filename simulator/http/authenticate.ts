import type { IncomingHttpHeaders } from 'node:http';
import {
  acs3Signature,
  acs3StringToSign,
  canonicalRequest,
  parseAcs3Authorization,
  sha256Hex,
  type Acs3Request,
} from '../../src/protocol/acs3-signature.js';
import { sign, stringToSign } from '../../src/protocol/signature.js';
import { parseTimestamp } from '../../src/protocol/timestamp.js';
import { ApiError, missingParameter } from './api-error.js';
import type { NonceCache } from './nonce-cache.js';
import type { Params } from './params.js';

export const API_VERSION = '2017-05-25';

const RPC_COMMON_PARAMETERS = [
  'Action',
  'Version',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
] as const;

/** Headers a V3 request must carry and sign. */
const V3_SIGNED_HEADERS = [
  'host',
  'x-acs-action',
  'x-acs-version',
  'x-acs-date',
  'x-acs-signature-nonce',
  'x-acs-content-sha256',
] as const;

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  timestampSkewMs: number;
}

/** What the gateway sees of one request. */
export interface IncomingCall {
  method: string;
  /** The path without the query, e.g. "/". */
  path: string;
  /** Query parameters only. */
  query: Params;
  /** Query and form-body parameters (the body wins on a clash). */
  params: Params;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Authenticated {
  action: string;
  /** The action's parameters. */
  params: Params;
  scheme: 'v3' | 'rpc';
}

/**
 * The gateway's checks for either signature scheme: an `Authorization: ACS3-HMAC-SHA256 …`
 * header means V3, anything else the HMAC-SHA1 RPC parameters.
 */
export function authenticate(
  call: IncomingCall,
  knownActions: ReadonlySet<string>,
  credentials: Credentials,
  nonces: NonceCache,
): Authenticated {
  const authorization = header(call.headers, 'authorization');
  if (authorization?.startsWith('ACS3-')) {
    return authenticateV3(call, authorization, knownActions, credentials, nonces);
  }
  authenticateRpc(call.method, call.params, knownActions, credentials, nonces);
  return { action: call.params.Action ?? '', params: call.params, scheme: 'rpc' };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function checkVersionAndAction(
  version: string | undefined,
  action: string,
  knownActions: ReadonlySet<string>,
) {
  if (version !== API_VERSION) {
    throw new ApiError('InvalidVersion', `Specified parameter Version is not valid.`, 400);
  }
  if (!knownActions.has(action)) {
    throw new ApiError(
      'InvalidAction.NotFound',
      'Specified api is not found, please check your url and method.',
      404,
    );
  }
}

function checkKeyId(given: string | undefined, credentials: Credentials): void {
  if (given !== credentials.accessKeyId) {
    throw new ApiError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404);
  }
}

/** Timestamp format and skew against the real clock (clients sign with it). */
function checkTimestamp(text: string, credentials: Credentials): number {
  const timestamp = parseTimestamp(text);
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
  return now;
}

/** Recorded only for correctly signed requests, so a forged request cannot burn a real nonce. */
function checkNonce(nonce: string, credentials: Credentials, nonces: NonceCache, now: number) {
  if (!nonces.remember(credentials.accessKeyId, nonce, now)) {
    throw new ApiError('SignatureNonceUsed', 'Specified signature nonce was used already.', 400);
  }
}

/**
 * RPC (HMAC-SHA1), in the gateway's order: common parameters present, Version, Action known,
 * AccessKeyId known, SignatureMethod/Version, Timestamp format and skew, Signature for the
 * method used, then the nonce.
 */
function authenticateRpc(
  method: string,
  params: Params,
  knownActions: ReadonlySet<string>,
  credentials: Credentials,
  nonces: NonceCache,
): void {
  for (const name of RPC_COMMON_PARAMETERS) {
    if (!params[name]) throw missingParameter(name);
  }
  checkVersionAndAction(params.Version, params.Action ?? '', knownActions);
  checkKeyId(params.AccessKeyId, credentials);
  if (params.SignatureMethod !== 'HMAC-SHA1') {
    throw new ApiError('InvalidSignatureMethod', 'Specified signature method is not valid.', 400);
  }
  if (params.SignatureVersion !== '1.0') {
    throw new ApiError('InvalidSignatureVersion', 'Specified signature version is not valid.', 400);
  }
  const now = checkTimestamp(params.Timestamp ?? '', credentials);
  const expected = sign(method, params, credentials.accessKeySecret);
  if (params.Signature !== expected) {
    throw new ApiError(
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, params)}`,
      400,
    );
  }
  checkNonce(params.SignatureNonce ?? '', credentials, nonces, now);
}

/**
 * V3 (ACS3-HMAC-SHA256): x-acs-action / x-acs-version name the call; host and every x-acs-*
 * header must be signed; x-acs-content-sha256 must be the body's hash; the signature is checked
 * over the canonical request; then the nonce. The action's parameters are the query and form body.
 */
function authenticateV3(
  call: IncomingCall,
  authorization: string,
  knownActions: ReadonlySet<string>,
  credentials: Credentials,
  nonces: NonceCache,
): Authenticated {
  const action = header(call.headers, 'x-acs-action');
  if (!action) throw missingParameter('Action');
  const version = header(call.headers, 'x-acs-version');
  if (!version) throw missingParameter('Version');
  checkVersionAndAction(version, action, knownActions);
  const parsed = parseAcs3Authorization(authorization);
  if (!parsed) {
    throw new ApiError('IncompleteSignature', 'The Authorization header is malformed.', 400);
  }
  checkKeyId(parsed.accessKeyId, credentials);
  const present = Object.keys(call.headers).filter((h) => h.startsWith('x-acs-'));
  const unsigned = [...new Set([...V3_SIGNED_HEADERS, ...present])].filter(
    (h) => !parsed.signedHeaders.includes(h),
  );
  if (unsigned.length > 0) {
    throw new ApiError(
      'IncompleteSignature',
      `These headers must be signed: ${unsigned.join(', ')}.`,
      400,
    );
  }
  for (const name of V3_SIGNED_HEADERS) {
    if (!header(call.headers, name)) throw missingParameter(name);
  }
  const now = checkTimestamp(header(call.headers, 'x-acs-date') ?? '', credentials);
  const payloadHash = header(call.headers, 'x-acs-content-sha256') ?? '';
  if (payloadHash !== sha256Hex(call.body)) {
    throw new ApiError(
      'SignatureDoesNotMatch',
      'x-acs-content-sha256 is not the SHA-256 of the request body.',
      400,
    );
  }
  const request: Acs3Request = {
    method: call.method,
    path: call.path,
    query: call.query,
    headers: Object.fromEntries(
      Object.keys(call.headers).map((name) => [name, header(call.headers, name)]),
    ),
    payloadHash,
  };
  const expected = acs3Signature(request, parsed.signedHeaders, credentials.accessKeySecret);
  if (parsed.signature !== expected) {
    const canonical = canonicalRequest(request, parsed.signedHeaders);
    throw new ApiError(
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server canonical request is:${canonical} server string to sign is:${acs3StringToSign(canonical)}`,
      400,
    );
  }
  checkNonce(header(call.headers, 'x-acs-signature-nonce') ?? '', credentials, nonces, now);
  return { action, params: call.params, scheme: 'v3' };
}
