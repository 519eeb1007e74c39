import { parseApiDate } from '../common/validation/api-date.js';
import { validationFailed } from '../common/validation/validation-failed.js';

/** Dyplsapi refuses an Expiration less than a minute ahead (isv.EXPIRE_DATE_ILLEGAL). */
export const MIN_TTL_MS = 60_000;
/** Our margin over the provider's minute, so a request in flight does not cross it. */
const MIN_MARGIN_MS = 5_000;

/** How a caller asks for an expiry: exactly one of an instant or a lifetime. */
export interface RequestedExpiry {
  expiresAt?: string;
  ttlSeconds?: number;
}

/**
 * Resolves the requested expiry from exactly one of `expiresAt` (ISO-8601) or `ttlSeconds`, and
 * checks it is more than a minute ahead and within the configured maximum (400 naming the field).
 */
export function resolveExpiry(
  input: RequestedExpiry,
  now: Date,
  maxTtlSeconds: number,
  required: boolean,
): Date | undefined {
  const given = [input.expiresAt !== undefined, input.ttlSeconds !== undefined].filter(Boolean);
  if (given.length === 2) {
    throw validationFailed('expiresAt', 'give either expiresAt or ttlSeconds, not both');
  }
  if (given.length === 0) {
    if (required) throw validationFailed('expiresAt', 'expiresAt or ttlSeconds is required');
    return undefined;
  }
  const field = input.expiresAt !== undefined ? 'expiresAt' : 'ttlSeconds';
  const at =
    input.expiresAt !== undefined
      ? parseApiDate(input.expiresAt)!
      : new Date(now.getTime() + (input.ttlSeconds ?? 0) * 1000);
  const ahead = at.getTime() - now.getTime();
  if (ahead <= MIN_TTL_MS + MIN_MARGIN_MS) {
    throw validationFailed(
      field,
      `must be more than ${(MIN_TTL_MS + MIN_MARGIN_MS) / 1000} seconds ahead`,
    );
  }
  if (ahead > maxTtlSeconds * 1000) {
    throw validationFailed(field, `must be at most ${maxTtlSeconds} seconds ahead`);
  }
  return at;
}
