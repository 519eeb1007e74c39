import { parseApiDate } from '../../common/validation/api-date.js';
import { isSubscriberNumber } from '../../protocol/phone-number.js';
import {
  CITY_MAX_LENGTH,
  CreateBindingDto,
  MAX_TTL_SECONDS,
  OUT_ID_PATTERN,
  PHONE_X_PATTERN,
  POOL_KEY_PATTERN,
} from './create-binding.dto.js';

/**
 * The fields of the commonest bind bodies, each with a check that accepts a value only where
 * CreateBindingDto's decorators accept it (it may refuse more: the pipe then decides). A field
 * present as null (which @IsOptional lets through) is left to the pipe.
 */
const SIMPLE_FIELDS = new Map<string, (value: unknown) => boolean>([
  ['outId', (v) => typeof v === 'string' && OUT_ID_PATTERN.test(v)],
  ['phoneA', (v) => typeof v === 'string' && isSubscriberNumber(v)],
  ['phoneB', (v) => typeof v === 'string' && isSubscriberNumber(v)],
  ['expiresAt', (v) => typeof v === 'string' && parseApiDate(v) !== null],
  [
    'ttlSeconds',
    (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_TTL_SECONDS,
  ],
  // (@MaxLength counts a surrogate pair as one character: at most CITY_MAX_LENGTH UTF-16 units
  // is at most as many characters; a longer string is the pipe's to judge.)
  ['city', (v) => typeof v === 'string' && v.length > 0 && v.length <= CITY_MAX_LENGTH],
  ['cityStrict', (v) => typeof v === 'boolean'],
  ['record', (v) => typeof v === 'boolean'],
  ['poolKey', (v) => typeof v === 'string' && POOL_KEY_PATTERN.test(v)],
  ['phoneX', (v) => typeof v === 'string' && PHONE_X_PATTERN.test(v)],
]);

/**
 * POST /v1/bindings' body as the global ValidationPipe would make it (a CreateBindingDto with the
 * body's fields), checked by hand, for a body of only the simple fields above, each valid: the
 * bind path's every request, without class-transformer's and class-validator's walk over the
 * DTO's metadata (a twentieth of the service's main thread in the bind bench). Anything else
 * (call control, a missing, null, unknown or invalid field, a body that is no plain object) is
 * undefined: the pipe checks it as before, so every refusal is the pipe's own.
 */
export function acceptSimpleBindBody(body: unknown): CreateBindingDto | undefined {
  if (
    typeof body !== 'object' ||
    body === null ||
    Object.getPrototypeOf(body) !== Object.prototype
  ) {
    return undefined;
  }
  const fields = body as Record<string, unknown>;
  let required = 0;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) return undefined;
    const valid = SIMPLE_FIELDS.get(key);
    if (valid === undefined || !valid(fields[key])) return undefined;
    if (key === 'outId' || key === 'phoneA' || key === 'phoneB') required += 1;
  }
  if (required !== 3) return undefined;
  return Object.assign(new CreateBindingDto(), fields);
}
