import { isUUID } from 'class-validator';
import { OUT_ID_PATTERN, POOL_KEY_PATTERN } from '../../bindings/dto/create-binding.dto.js';
import {
  validationFailed,
  validationFailedFields,
  type FieldProblem,
} from '../../common/validation/validation-failed.js';
import { isSubscriberNumber } from '../../protocol/phone-number.js';
import type { BindingRef } from '../routing.service.js';

/** POST /v1/routing/lookup: which number should this caller dial for this binding? */
export interface RouteLookupBody {
  /** The binding by our id; or give outId. */
  bindingId?: string;
  /** The binding by its order id (the live one, else the latest of the order). */
  outId?: string;
  /** With outId only; defaults to DEFAULT_POOL_KEY. */
  poolKey?: string;
  /** The number of the person placing the call: A or B of the binding. */
  callerNo: string;
}

/** A parsed lookup: the binding it names and who is calling. */
export interface RouteLookup {
  ref: BindingRef;
  callerNo: string;
}

interface FieldRule {
  optional: boolean;
  valid: (value: string) => boolean;
  message: string;
}

const RULES: Record<keyof RouteLookupBody, FieldRule> = {
  bindingId: {
    optional: true,
    valid: (v) => isUUID(v, 'all'),
    message: 'bindingId must be a UUID',
  },
  outId: {
    optional: true,
    valid: (v) => OUT_ID_PATTERN.test(v),
    message: 'outId must be 1-64 characters of A-Z a-z 0-9 _ . : -',
  },
  poolKey: {
    optional: true,
    valid: (v) => POOL_KEY_PATTERN.test(v),
    message: 'poolKey must be 1-64 characters of A-Z a-z 0-9 _ -',
  },
  callerNo: {
    optional: false,
    valid: isSubscriberNumber,
    message:
      'callerNo must be a mainland mobile (11 digits) or a fixed line with area code, digits only',
  },
};

/** The JSON schema of the body, for the OpenAPI document. */
export const ROUTE_LOOKUP_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['callerNo'],
  properties: {
    bindingId: { type: 'string', format: 'uuid', description: 'the binding; or give outId' },
    outId: { type: 'string', pattern: OUT_ID_PATTERN.source, description: 'the order' },
    poolKey: {
      type: 'string',
      pattern: POOL_KEY_PATTERN.source,
      description: 'with outId only; defaults to DEFAULT_POOL_KEY',
    },
    callerNo: { type: 'string', description: 'who is calling: A or B of the binding' },
  },
};

/**
 * Checks a lookup body by hand, with the rules (and messages) the global ValidationPipe would
 * apply to a class-validator DTO: a profile of cached lookups showed class-transformer and
 * class-validator's per-request metadata walk as the largest cost of a cache hit (≈ 9 % of the
 * service thread, more than the lookup itself). Unknown fields are refused, every bad field is
 * named (400 VALIDATION_FAILED); null counts as absent, as with @IsOptional.
 */
export function parseRouteLookup(body: unknown, defaultPoolKey: string): RouteLookup {
  // The usual lookup, checked by the same rules without the walk: exactly a valid bindingId and
  // a valid callerNo.
  if (typeof body === 'object' && body !== null && ownKeysAre2(body)) {
    const { bindingId, callerNo } = body as Record<string, unknown>;
    if (
      typeof bindingId === 'string' &&
      typeof callerNo === 'string' &&
      Object.hasOwn(body, 'bindingId') &&
      Object.hasOwn(body, 'callerNo') &&
      RULES.bindingId.valid(bindingId) &&
      RULES.callerNo.valid(callerNo)
    )
      return { ref: { bindingId }, callerNo };
  }
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const fields: FieldProblem[] = [];
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(RULES, key)) {
      fields.push({ field: key, problems: [`property ${key} should not exist`] });
    }
  }
  const value: Partial<Record<keyof RouteLookupBody, string>> = {};
  for (const [key, rule] of Object.entries(RULES) as Array<[keyof RouteLookupBody, FieldRule]>) {
    const raw = Object.hasOwn(input, key) ? input[key] : undefined;
    if (raw === undefined || raw === null) {
      if (!rule.optional) fields.push({ field: key, problems: [rule.message] });
      continue;
    }
    if (typeof raw !== 'string' || !rule.valid(raw)) {
      fields.push({ field: key, problems: [rule.message] });
      continue;
    }
    value[key] = raw;
  }
  if (fields.length > 0) throw validationFailedFields(fields);

  const { bindingId, outId, poolKey, callerNo } = value as RouteLookupBody;
  if (bindingId !== undefined && outId !== undefined) {
    throw validationFailed('bindingId', 'give either bindingId or outId, not both');
  }
  if (bindingId !== undefined) {
    if (poolKey !== undefined) throw validationFailed('poolKey', 'only with outId');
    return { ref: { bindingId }, callerNo };
  }
  if (outId === undefined) throw validationFailed('outId', 'bindingId or outId is required');
  return { ref: { poolKey: poolKey ?? defaultPoolKey, outId }, callerNo };
}

/** Whether the object has exactly two own enumerable keys (no array of them made). */
function ownKeysAre2(body: object): boolean {
  let n = 0;
  for (const key in body) if (Object.hasOwn(body, key) && ++n > 2) return false;
  return n === 2;
}
