import { createHmac } from 'node:crypto';

/**
 * Alibaba Cloud RPC signing (SignatureMethod HMAC-SHA1, SignatureVersion 1.0), shared by the
 * service's Dyplsapi client and the simulator that verifies it.
 */

/** RFC 3986 percent-encoding, as Alibaba specifies it: also encodes ! ' ( ) and *. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The sorted, encoded `k=v&k=v` string of every parameter except Signature. */
export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k] ?? '')}`)
    .join('&');
}

export function stringToSign(method: string, params: Readonly<Record<string, string>>): string {
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`;
}

/** base64(HMAC-SHA1(secret + "&", StringToSign)). */
export function sign(
  method: string,
  params: Readonly<Record<string, string>>,
  accessKeySecret: string,
): string {
  return createHmac('sha1', `${accessKeySecret}&`)
    .update(stringToSign(method, params))
    .digest('base64');
}

/** Alibaba's Timestamp format: UTC `YYYY-MM-DDThh:mm:ssZ`. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
