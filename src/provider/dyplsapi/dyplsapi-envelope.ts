import { quoteLargeIntegers } from '../../protocol/json-big-integers.js';

/**
 * Reading the JSON envelope every Dyplsapi response has: Code, Message, RequestId and one DTO.
 * Pure functions; the transport turns their verdicts into ProviderErrors.
 */

export interface DyplsapiEnvelope {
  Code?: unknown;
  Message?: unknown;
  RequestId?: unknown;
  [dto: string]: unknown;
}

export type EnvelopeVerdict =
  | { kind: 'ok'; body: DyplsapiEnvelope; requestId?: string }
  | { kind: 'code'; code: string; message: string; requestId?: string }
  | { kind: 'http'; requestId?: string }
  | { kind: 'not-json'; detail: string }
  | { kind: 'no-code'; requestId?: string };

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * Like Alibaba's official clients, a Code other than OK is an error whatever the HTTP status;
 * a non-2xx status without a Code is an HTTP error; a body that is not a JSON object is garbage.
 */
export function readEnvelope(status: number, rawBody: string): EnvelopeVerdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteLargeIntegers(rawBody));
  } catch (err) {
    return { kind: 'not-json', detail: (err as Error).message };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'not-json', detail: 'body is not a JSON object' };
  }
  const body = parsed as DyplsapiEnvelope;
  const requestId = text(body.RequestId);
  const code = text(body.Code);
  if (code !== undefined && code !== 'OK') {
    return { kind: 'code', code, message: text(body.Message) ?? '', requestId };
  }
  if (status >= 300) return { kind: 'http', requestId };
  // Dyplsapi always sends a Code; a 2xx without one is not a success we can trust for a write.
  if (code === undefined) return { kind: 'no-code', requestId };
  return { kind: 'ok', body, requestId };
}
