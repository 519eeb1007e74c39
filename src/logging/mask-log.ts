import { maskPhone, maskPhonesInText } from '../common/privacy/mask-phone.js';
import { isSecretName, REDACTED, redactSecretsInText } from '../common/privacy/redact-secrets.js';

/**
 * Fields that hold a phone number whatever it looks like (a number type, an odd format): their
 * values are masked whole. Matches phoneA, phone_no, callerNo, peer_no, secretNo, PhoneNoX, dial…
 */
const PHONE_FIELD = /phone|mobile|msisdn|caller|callee|called_?no|peer_?no|secret_?no|^dial$/i;

/** Free text: credentials redacted, phone numbers masked. */
function maskText(text: string): string {
  return maskPhonesInText(redactSecretsInText(text));
}

/**
 * Query strings of URLs: a secret parameter's value (`key`, `secret`, `token`…) is replaced
 * whole; other values are decoded before masking, so `%20`/`+` separators cannot hide a number.
 */
export function maskUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return maskText(url);
  const path = maskText(url.slice(0, q));
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return maskText(pair);
      const name = pair.slice(0, eq);
      const raw = pair.slice(eq + 1);
      if (isSecretName(safeDecode(name))) return `${name}=${REDACTED}`;
      const decoded = safeDecode(raw);
      const masked = PHONE_FIELD.test(name) ? maskPhone(decoded) : maskText(decoded);
      return masked === decoded ? pair : `${name}=${encodeURIComponent(masked)}`;
    })
    .join('&');
  return `${path}?${query}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** What a field's name says about its value: a credential, a phone number, both or neither. */
interface FieldName {
  secret: boolean;
  phone: boolean;
}

/**
 * Field names judged so far: a service logs the same few dozen names over and over, so each is
 * judged once (both tests, on every field of every line, were a third of a line's cost). Bounded:
 * past MAX_NAMES, new names are judged every time, as before.
 */
const fieldNames = new Map<string, FieldName>();
const MAX_NAMES = 10_000;

function fieldName(key: string): FieldName {
  let name = fieldNames.get(key);
  if (name === undefined) {
    name = { secret: isSecretName(key), phone: PHONE_FIELD.test(key) };
    if (fieldNames.size < MAX_NAMES) fieldNames.set(key, name);
  }
  return name;
}

function maskField(key: string, value: unknown, depth: number): unknown {
  const name = fieldName(key);
  // A credential by its name (a header, a query parameter, a config field), whatever its type.
  if (name.secret && value !== undefined && value !== null && value !== '') return REDACTED;
  if (name.phone && (typeof value === 'string' || typeof value === 'number'))
    return maskPhone(String(value));
  if (key === 'url' && typeof value === 'string') return maskUrl(value);
  return maskDeep(value, depth + 1);
}

/**
 * Masks phone numbers and redacts credentials in a log record, however they got there: by field
 * name (phoneA, callerNo…; key, secret, authorization…), and by shape in every string (a message,
 * an error, a URL, a nested object). The one place every log line passes through. Request ids,
 * pool keys and other ids stay verbatim.
 */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return {
      type: value.name,
      message: maskText(value.message),
      stack: value.stack && maskText(value.stack),
    };
  }
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskField(k, v, depth);
  return out;
}
