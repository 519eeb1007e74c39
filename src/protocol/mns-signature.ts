import { createHash, createHmac } from 'node:crypto';

/**
 * Alibaba MNS (message service) request signing, shared by the service's queue client and the
 * simulator's queue API:
 *
 *   Signature = base64(HMAC-SHA1(AccessKeySecret, METHOD \n Content-MD5 \n Content-Type \n Date \n
 *                                CanonicalizedMNSHeaders CanonicalizedResource))
 *   Authorization: MNS <AccessKeyId>:<Signature>
 *
 * CanonicalizedMNSHeaders: every `x-mns-*` header, lower-cased, sorted, `name:value\n`.
 * CanonicalizedResource: the path below the endpoint with its query, e.g.
 * `/queues/q/messages?waitseconds=10`. A temporary credential's token travels in the unsigned
 * `security-token` header, as `@alicloud/mns` sends it.
 */

export const MNS_VERSION = '2015-06-06';

export function mnsStringToSign(
  method: string,
  headers: Readonly<Record<string, string | undefined>>,
  resource: string,
): string {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) lower[name.toLowerCase()] = value;
  }
  const mnsHeaders = Object.keys(lower)
    .filter((name) => name.startsWith('x-mns-'))
    .sort()
    .map((name) => `${name}:${lower[name]}\n`)
    .join('');
  return [
    method.toUpperCase(),
    lower['content-md5'] ?? '',
    lower['content-type'] ?? '',
    lower.date ?? '',
    `${mnsHeaders}${resource}`,
  ].join('\n');
}

export function mnsSignature(
  method: string,
  headers: Readonly<Record<string, string | undefined>>,
  resource: string,
  accessKeySecret: string,
): string {
  return createHmac('sha1', accessKeySecret)
    .update(mnsStringToSign(method, headers, resource), 'utf8')
    .digest('base64');
}

/** `MNS <id>:<signature>` → its parts; undefined when malformed. */
export function parseMnsAuthorization(
  header: string,
): { accessKeyId: string; signature: string } | undefined {
  const match = /^MNS ([^:\s]+):(\S+)$/.exec(header);
  return match ? { accessKeyId: match[1]!, signature: match[2]! } : undefined;
}

/**
 * The Content-MD5 `@alicloud/mns` sends: base64 of the hex MD5 string (RFC 1864 asks for base64
 * of the raw digest; MNS accepts both, and so does the simulator).
 */
export function mnsContentMd5(body: string | Uint8Array): string {
  return Buffer.from(createHash('md5').update(body).digest('hex'), 'utf8').toString('base64');
}

/** Both Content-MD5 forms a client may send for this body. */
export function acceptableContentMd5(body: Uint8Array): string[] {
  const digest = createHash('md5').update(body).digest();
  return [
    Buffer.from(digest.toString('hex'), 'utf8').toString('base64'),
    digest.toString('base64'),
  ];
}

/** The MD5 hex of a message body, as MNS reports it in MessageBodyMD5 (upper-case). */
export function messageBodyMd5(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex').toUpperCase();
}
