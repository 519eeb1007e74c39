import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorBodyDto } from './error-body.dto.js';

const MEANING: Record<number, string> = {
  400: 'Invalid input: `fields` names every bad field; nothing was changed',
  401: 'No API key, or not a valid one',
  403: 'The key lacks the role this route needs',
  404: 'Not found',
  409: 'Conflicts with the current state',
  429:
    'RATE_LIMITED (per key, Retry-After), PHONE_SEARCH_RATE_LIMITED, AUTH_THROTTLED (too many ' +
    'failed authentications from the address, Retry-After) or the provider is flow limiting',
  502: 'The provider failed, refused, or could not be reached',
  503:
    'DATABASE_UNAVAILABLE (Retry-After; any route); on binds also NO_NUMBERS, NUMBERS_EXHAUSTED, ' +
    'BIND_OUTCOME_PENDING; on admin history reads HISTORY_READS_BUSY (Retry-After)',
  504: 'The provider did not answer in time; on admin history reads HISTORY_READ_TIMEOUT',
};

/**
 * Documents the error responses of a route (401, 403 and 429 apply to every keyed route, 503
 * DATABASE_UNAVAILABLE to every route). Security requirements are not set here: they come from
 * the access table itself (markSecurity in openapi.ts), so no keyed route can go without.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([401, 403, 429, 503, ...statuses])].sort();
  return applyDecorators(
    ...all.map((status) =>
      ApiResponse({ status, description: MEANING[status] ?? 'Error', type: ErrorBodyDto }),
    ),
  );
}
