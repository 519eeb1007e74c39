import { createHash, createHmac } from 'node:crypto';
import { percentEncode } from './signature.js';

/**
 * Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), what the Darabonba clients
 * (`@alicloud/openapi-client` ≥ 0.3) send by default. Shared by the service's client, which
 * signs, and the simulator, which verifies:
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
 *                      SignedHeaders \n HexSHA256(body)
 *   StringToSign     = "ACS3-HMAC-SHA256" \n HexSHA256(CanonicalRequest)
 *   Signature        = Hex(HMAC-SHA256(AccessKeySecret, StringToSign))
 *   Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>
 *
 * Signed headers: host, content-type and every x-acs-* header, lower-cased, sorted, values
 * trimmed. The query is sorted by name with names and values RFC 3986-encoded.
 */

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface Acs3Request {
  method: string;
  /** The path only, e.g. "/" for RPC-style APIs. */
  path: string;
  query: Readonly<Record<string, string>>;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** Hex SHA-256 of the body (the x-acs-content-sha256 header). */
  payloadHash: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The headers a client signs: host, content-type and x-acs-*, lower-cased and sorted. */
export function headersToSign(headers: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => name === 'host' || name === 'content-type' || name.startsWith('x-acs-'))
    .sort();
}

function canonicalUri(path: string): string {
  return path === '' ? '/' : path.split('/').map(percentEncode).join('/');
}

function canonicalQuery(query: Readonly<Record<string, string>>): string {
  return Object.entries(query)
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The canonical request over `signedHeaders` (lower-case names, as in the Authorization). */
export function canonicalRequest(request: Acs3Request, signedHeaders: readonly string[]): string {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) lower[name.toLowerCase()] = value;
  }
  const headerLines = signedHeaders.map((name) => `${name}:${(lower[name] ?? '').trim()}\n`);
  return [
    request.method.toUpperCase(),
    canonicalUri(request.path),
    canonicalQuery(request.query),
    headerLines.join(''),
    signedHeaders.join(';'),
    request.payloadHash,
  ].join('\n');
}

export function acs3StringToSign(canonical: string): string {
  return `${ACS3_ALGORITHM}\n${sha256Hex(canonical)}`;
}

export function acs3Signature(
  request: Acs3Request,
  signedHeaders: readonly string[],
  accessKeySecret: string,
): string {
  const toSign = acs3StringToSign(canonicalRequest(request, signedHeaders));
  return createHmac('sha256', accessKeySecret).update(toSign).digest('hex');
}

/** The Authorization header for a request whose x-acs-* headers are already set. */
export function acs3Authorization(
  request: Acs3Request,
  accessKeyId: string,
  accessKeySecret: string,
): string {
  const signed = headersToSign(request.headers);
  const signature = acs3Signature(request, signed, accessKeySecret);
  return `${ACS3_ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`;
}

export interface Acs3Authorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/** Reads `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`; undefined if malformed. */
export function parseAcs3Authorization(header: string): Acs3Authorization | undefined {
  if (!header.startsWith(`${ACS3_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(ACS3_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const accessKeyId = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKeyId || !signedHeaders || !signature) return undefined;
  return {
    accessKeyId,
    signedHeaders: signedHeaders.split(';').map((h) => h.trim().toLowerCase()),
    signature,
  };
}
