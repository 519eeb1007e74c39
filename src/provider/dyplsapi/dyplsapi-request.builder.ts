import { acs3Authorization, sha256Hex } from '../../protocol/acs3-signature.js';
import { formatTimestamp, percentEncode, sign } from '../../protocol/signature.js';
import { DYPLSAPI_VERSION, type DyplsapiAction } from './dyplsapi-actions.js';

export type HttpMethod = 'GET' | 'POST';

/** V3 (ACS3-HMAC-SHA256, Alibaba's current clients) or the older HMAC-SHA1 RPC signature. */
export type SignatureScheme = 'v3' | 'rpc';

export interface SignedRequestInput {
  method: HttpMethod;
  action: DyplsapiAction;
  /** Action parameters; undefined values are left out (optional parameters). */
  params: Readonly<Record<string, string | undefined>>;
  accessKeyId: string;
  accessKeySecret: string;
  regionId: string;
  /** Must be unique per request, retries included. */
  nonce: string;
  now: Date;
}

function defined(params: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The full parameter set of one RPC-signed request: common parameters, the action's own, and the
 * Signature. Action parameters cannot override the common ones (a stray "Signature" or "Version"
 * would otherwise produce a request the provider rejects in confusing ways).
 */
export function buildSignedParams(input: SignedRequestInput): Record<string, string> {
  const params = defined(input.params);
  Object.assign(params, {
    Action: input.action,
    Format: 'JSON',
    Version: DYPLSAPI_VERSION,
    AccessKeyId: input.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: input.nonce,
    Timestamp: formatTimestamp(input.now),
    RegionId: input.regionId,
  });
  delete params.Signature;
  const signature = sign(input.method, params, input.accessKeySecret);
  // Insertion order puts Signature last, as Alibaba's clients send it.
  return { ...params, Signature: signature };
}

/** `k=v&k=v` with RFC 3986 encoding: the query string of a GET, the body of a form POST. */
export function encodeParams(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

/** One request ready to send: path with query, headers (host included), body. */
export interface PreparedRequest {
  method: HttpMethod;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface PrepareInput extends SignedRequestInput {
  scheme: SignatureScheme;
  /** host[:port] of the endpoint, as sent in the Host header (signed under V3). */
  host: string;
  /** The endpoint's path, "/" for Alibaba. */
  path: string;
  /**
   * Where a V3 POST carries the action's parameters: a form body (default; keeps phone numbers
   * out of URLs that proxies log) or the query string, as the generated SDKs do.
   */
  paramsIn?: 'body' | 'query';
}

/** Builds and signs one request in the chosen scheme. */
export function prepareRequest(input: PrepareInput): PreparedRequest {
  return input.scheme === 'v3' ? prepareV3(input) : prepareRpc(input);
}

function prepareRpc(input: PrepareInput): PreparedRequest {
  const encoded = encodeParams(buildSignedParams(input));
  const get = input.method === 'GET';
  return {
    method: input.method,
    path: get ? `${input.path}?${encoded}` : input.path,
    headers: {
      host: input.host,
      accept: 'application/json',
      'x-acs-action': input.action,
      ...(get ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    },
    body: get ? undefined : encoded,
  };
}

/**
 * ACS3-HMAC-SHA256: the action and version travel in x-acs-* headers, the parameters in the
 * query (GET, or POST with paramsIn 'query') or a form body; no Action or Signature parameter.
 */
function prepareV3(input: PrepareInput): PreparedRequest {
  const params = defined(input.params);
  const inQuery = input.method === 'GET' || input.paramsIn === 'query';
  const encoded = encodeParams(params);
  const body = inQuery || encoded === '' ? undefined : encoded;
  const headers: Record<string, string> = {
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': DYPLSAPI_VERSION,
    'x-acs-date': formatTimestamp(input.now),
    'x-acs-signature-nonce': input.nonce,
    'x-acs-content-sha256': sha256Hex(body ?? ''),
    accept: 'application/json',
    ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
  };
  headers.authorization = acs3Authorization(
    {
      method: input.method,
      path: input.path,
      query: inQuery ? params : {},
      headers,
      payloadHash: headers['x-acs-content-sha256']!,
    },
    input.accessKeyId,
    input.accessKeySecret,
  );
  return {
    method: input.method,
    path: inQuery && encoded !== '' ? `${input.path}?${encoded}` : input.path,
    headers,
    body,
  };
}
