import {
  createHmac,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes. */
const PREFIX = 'whsec_';
/** Key bytes of a new secret (the spec asks for 24 to 64). */
const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** Signing keys by secret: every try decoded its endpoint's secret and made a key of it again. */
const keys = new Map<string, KeyObject>();
/** Secrets whose keys are kept (an endpoint has one or two; past this the map starts over). */
const KEYS_KEPT = 1024;

function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= KEYS_KEPT) keys.clear();
    key = createSecretKey(
      Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64'),
    );
    keys.set(secret, key);
  }
  return key;
}

/**
 * `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` per secret, space-separated: during a
 * rotation the new and the previous secret both sign, so a receiver holding either verifies.
 */
export function webhookSignature(
  msgId: string,
  timestampSeconds: number,
  body: string,
  secrets: readonly string[],
): string {
  const content = `${msgId}.${timestampSeconds}.${body}`;
  return secrets
    .map((s) => `v1,${createHmac('sha256', keyOf(s)).update(content).digest('base64')}`)
    .join(' ');
}

/** Whether `header` holds a v1 signature of the content by `secret` (for the test event's echo). */
export function hasValidSignature(
  header: string,
  msgId: string,
  timestampSeconds: number,
  body: string,
  secret: string,
): boolean {
  const expected = Buffer.from(webhookSignature(msgId, timestampSeconds, body, [secret]));
  return header
    .split(' ')
    .map((s) => Buffer.from(s))
    .some((s) => s.length === expected.length && timingSafeEqual(s, expected));
}
