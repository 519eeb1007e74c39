import { formatTimestamp, percentEncode, sign } from '../../protocol/signature.js';
import { DYPLSAPI_VERSION, type DyplsapiAction } from './dyplsapi-actions.js';

export type HttpMethod = 'GET' | 'POST';

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

/**
 * The full parameter set of one request: common parameters, the action's own, and the Signature.
 * Action parameters cannot override the common ones (a stray "Signature" or "Version" would
 * otherwise produce a request the provider rejects in confusing ways).
 */
export function buildSignedParams(input: SignedRequestInput): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.params)) {
    if (value !== undefined) params[key] = value;
  }
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
