import { BadRequestException } from '@nestjs/common';
import { parseApiDate } from '../common/validation/api-date.js';

/** Dyplsapi refuses an Expiration less than a minute ahead (isv.EXPIRE_DATE_ILLEGAL). */
export const MIN_TTL_MS = 60_000;
/** Our margin over the provider's minute, so a request in flight does not cross it. */
const MIN_MARGIN_MS = 5_000;

function invalid(field: string, problem: string): BadRequestException {
  return new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${field}: ${problem}`,
    fields: [{ field, problems: [problem] }],
  });
}

/**
 * Resolves the requested expiry from exactly one of `expiresAt` (ISO-8601) or `ttlSeconds`, and
 * checks it is more than a minute ahead and within the configured maximum.
 */
export function resolveExpiry(
  input: { expiresAt?: string; ttlSeconds?: number },
  now: Date,
  maxTtlSeconds: number,
  required: boolean,
): Date | undefined {
  const given = [input.expiresAt !== undefined, input.ttlSeconds !== undefined].filter(Boolean);
  if (given.length === 2) {
    throw invalid('expiresAt', 'give either expiresAt or ttlSeconds, not both');
  }
  if (given.length === 0) {
    if (required) throw invalid('expiresAt', 'expiresAt or ttlSeconds is required');
    return undefined;
  }
  const field = input.expiresAt !== undefined ? 'expiresAt' : 'ttlSeconds';
  const at =
    input.expiresAt !== undefined
      ? parseApiDate(input.expiresAt)!
      : new Date(now.getTime() + (input.ttlSeconds ?? 0) * 1000);
  const ahead = at.getTime() - now.getTime();
  if (ahead <= MIN_TTL_MS + MIN_MARGIN_MS) {
    throw invalid(field, `must be more than ${(MIN_TTL_MS + MIN_MARGIN_MS) / 1000} seconds ahead`);
  }
  if (ahead > maxTtlSeconds * 1000) {
    throw invalid(field, `must be at most ${maxTtlSeconds} seconds ahead`);
  }
  return at;
}
