import { BadRequestException } from '@nestjs/common';

/**
 * What the API accepts as a request body, checked once before anything else reads it (the one
 * content-type parser, see bootstrap): UTF-8 JSON, nested at most `maxDepth` deep, no field named
 * like an `Object.prototype` member (so `toString` or `__proto__` can never pass for a known field),
 * and strings without NUL or lone surrogates (Postgres refuses the first and would store the
 * second altered). An empty body is no body. Size and content type are Fastify's (413, 415).
 */
export interface BodyPolicy {
  maxDepth: number;
}

/** Fastify route config of a route that takes strings as they come (it validates them itself). */
export interface BodyPolicyRouteConfig {
  bodyPolicy?: { rawStrings?: boolean };
}

/** `@RouteConfig(RAW_STRINGS)`: NUL and lone surrogates reach the handler (provider pushes). */
export const RAW_STRINGS: BodyPolicyRouteConfig = { bodyPolicy: { rawStrings: true } };

const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_PROBLEMS = 10;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function bodyError(
  code: string,
  message: string,
  fields?: Array<{ field: string; problems: string[] }>,
) {
  return new BadRequestException({ code, message, ...(fields ? { fields } : {}) });
}

/** Deepest array/object nesting of JSON text, without parsing it (so no recursion at all). */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAbove) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return deepest;
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const name = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return parent ? `${parent}.${name}` : name;
}

/** Every field the policy refuses (at most MAX_PROBLEMS), by path. */
function problemsIn(
  value: unknown,
  rawStrings: boolean,
): Array<{ field: string; problems: string[] }> {
  const found: Array<{ field: string; problems: string[] }> = [];
  const checkString = (s: string, field: string) => {
    if (rawStrings) return;
    if (s.includes('\u0000')) found.push({ field, problems: ['must not contain NUL (\\u0000)'] });
    else if (LONE_SURROGATE.test(s))
      found.push({ field, problems: ['must not contain a lone UTF-16 surrogate'] });
  };
  const visit = (v: unknown, path: string) => {
    if (found.length >= MAX_PROBLEMS) return;
    if (typeof v === 'string') checkString(v, path || 'body');
    else if (Array.isArray(v)) v.forEach((item, i) => visit(item, pathOf(path, i)));
    else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        const field = pathOf(path, key);
        if (RESERVED.has(key))
          found.push({
            field,
            problems: ['is a reserved name (Object.prototype) and not a field'],
          });
        else checkString(key, field);
        visit((v as Record<string, unknown>)[key], field);
      }
    }
  };
  visit(value, '');
  return found.slice(0, MAX_PROBLEMS);
}

/** What one pass over a plain body finds (see scanPlain). */
const NOT_PLAIN = -1;
const BLANK = -2;

/**
 * One pass over the body's bytes: NOT_PLAIN unless every byte is below 0x80 and none is a
 * backslash (see parseJsonBody); else BLANK when every byte is JSON whitespace as
 * String.prototype.trim sees it (an empty body), else the deepest array/object nesting, as
 * jsonDepth would count it on the text (a plain body's bytes are its characters, and with no
 * escape a quote always opens or closes a string).
 */
function scanPlain(raw: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let blank = true;
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i]!;
    if (c >= 0x80 || c === 0x5c) return NOT_PLAIN;
    if (blank && c !== 0x20 && (c < 0x09 || c > 0x0d)) blank = false;
    if (c === 0x22) inString = !inString;
    else if (inString) continue;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return blank ? BLANK : deepest;
}

/** Whether any object in the value has a field named like an Object.prototype member. */
function hasReservedName(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasReservedName);
  // (for…in over own keys: no array of them made for every body)
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (RESERVED.has(key) || hasReservedName((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/**
 * The same checks for a parsed query string (reserved names, NUL, lone surrogates): a 400
 * VALIDATION_FAILED naming each field.
 */
export function checkQuery(query: unknown): void {
  const problems = problemsIn(query, false);
  if (problems.length > 0) {
    throw bodyError(
      'VALIDATION_FAILED',
      `Invalid ${problems.map((p) => p.field).join(', ')}: ${problems[0]!.problems[0]}`,
      problems,
    );
  }
}

/**
 * Parses a request body under the policy; throws a 400 (INVALID_JSON, BODY_TOO_DEEP or
 * VALIDATION_FAILED naming each field) otherwise. Returns undefined for an empty body. The
 * route's config may be given as a function: asked only for a body whose strings need checking
 * (Fastify builds its route options anew at every read of request.routeOptions).
 */
export function parseJsonBody(
  raw: Buffer,
  policy: BodyPolicy,
  route: BodyPolicyRouteConfig | (() => BodyPolicyRouteConfig | undefined) = {},
): unknown {
  // Most bodies are plain ASCII without an escape: valid UTF-8 as they are (decoded byte for
  // byte), and none of their strings can hold NUL or a lone surrogate (JSON admits neither raw;
  // only an escape makes one), so only the field names are left to check. One pass over the
  // bytes tells that, an empty body, and the depth.
  const scanned = scanPlain(raw);
  const plain = scanned !== NOT_PLAIN;
  let text: string;
  if (plain) {
    if (scanned === BLANK) return undefined;
    text = raw.toString('latin1');
  } else {
    try {
      text = utf8.decode(raw);
    } catch {
      throw bodyError('INVALID_JSON', 'The body is not valid UTF-8');
    }
    if (text.trim() === '') return undefined;
  }
  const depth = plain ? scanned : jsonDepth(text, policy.maxDepth);
  if (depth > policy.maxDepth) {
    throw bodyError(
      'BODY_TOO_DEEP',
      `The body nests arrays/objects deeper than ${policy.maxDepth} levels`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 120) : 'syntax error';
    throw bodyError('INVALID_JSON', `The body is not valid JSON: ${reason}`);
  }
  if (plain && !hasReservedName(parsed)) return parsed;
  const config = typeof route === 'function' ? route() : route;
  const problems = problemsIn(parsed, config?.bodyPolicy?.rawStrings === true);
  if (problems.length > 0) {
    throw bodyError(
      'VALIDATION_FAILED',
      `Invalid ${problems.map((p) => p.field).join(', ')}: ${problems[0]!.problems[0]}`,
      problems,
    );
  }
  return parsed;
}
