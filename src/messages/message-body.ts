import { quoteLargeIntegers } from '../protocol/json-big-integers.js';

/**
 * A message's record: its body is the record's JSON (integers beyond 2^53, such as sub_id, kept
 * exact). Some producers base64-encode bodies; such a body is decoded first.
 */
export function decodeMessageBody(
  body: string,
): { ok: true; record: unknown } | { ok: false; problem: string } {
  const parse = (text: string): unknown => JSON.parse(quoteLargeIntegers(text));
  try {
    return { ok: true, record: parse(body) };
  } catch {
    // Not JSON as it is: maybe base64 of JSON.
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(body.trim())) {
    try {
      return { ok: true, record: parse(Buffer.from(body, 'base64').toString('utf8')) };
    } catch {
      // Neither.
    }
  }
  return { ok: false, problem: 'MessageBody is not JSON (nor base64 of JSON)' };
}
