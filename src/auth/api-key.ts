import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `axb_<prefix>_<secret>`: the prefix (8 base62-ish chars) finds the stored
 * row, the secret (43 chars, 256 random bits) is checked against its sha256 in constant time.
 */
const KEY = /^axb_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,128})$/;

export interface ParsedKey {
  prefix: string;
  secret: string;
}

export function parseApiKey(token: string): ParsedKey | null {
  const match = KEY.exec(token);
  return match ? { prefix: match[1]!, secret: match[2]! } : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8);
  const secret = randomBytes(32).toString('base64url');
  return { key: `axb_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

/** Constant-time string equality (for the callback shared secret). */
export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
