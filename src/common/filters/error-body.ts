import { redactSecretsInText } from '../privacy/redact-secrets.js';

/** The one error shape of the API (README: errors). */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  requestId: string;
  [extra: string]: unknown;
}

/** An error answer stays small whatever the request held (a 200 KB body of bad fields, say). */
const MAX_MESSAGE = 500;
const MAX_FIELDS = 20;
const MAX_PROBLEMS = 5;
const MAX_TEXT = 200;

export const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
};

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Bounds an error body: the message, at most MAX_FIELDS `fields` (the rest counted in
 * `fieldsOmitted`), each with a few short problems. A credential quoted by a message (a URL of
 * Fastify's with `?key=…`, say) is redacted like in the log.
 */
export function boundedErrorBody(body: ErrorBody): ErrorBody {
  const out: ErrorBody = {
    ...body,
    message: clip(redactSecretsInText(body.message), MAX_MESSAGE),
  };
  if (Array.isArray(body.fields)) {
    const fields = body.fields as Array<{ field: string; problems?: unknown[] }>;
    out.fields = fields.slice(0, MAX_FIELDS).map((f) => ({
      field: clip(String(f.field), MAX_TEXT),
      problems: (f.problems ?? [])
        .slice(0, MAX_PROBLEMS)
        .map((p) => clip(redactSecretsInText(String(p)), MAX_TEXT)),
    }));
    if (fields.length > MAX_FIELDS) out.fieldsOmitted = fields.length - MAX_FIELDS;
  }
  return out;
}
