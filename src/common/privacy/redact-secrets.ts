/**
 * The one redaction policy for credentials (issue 27): whatever route, parameter, header or
 * message carries a key, a secret, a token or a signature, what is written to a log, a metric or
 * an error body holds `[REDACTED]` in its place. Phone numbers have their own policy
 * (mask-phone.ts); both run on every log line (src/logging/mask-log.ts).
 *
 * A name is secret when, lower-cased with `-` and `_` dropped, it is one of NAMES or ends with one
 * of SUFFIXES: `key`, `apiKey`, `x-api-key`, `secret`, `CALLBACK_SECRET`, `AccessKeySecret`,
 * `SecurityToken`, `x-csrf-token`, `Signature`, `authorization`, `cookie`… Names that merely
 * contain such a word stay readable: `poolKey`, `secretNo` (the middle number X), `tokenExpiresAt`.
 */
export const REDACTED = '[REDACTED]';

const NAMES = new Set([
  'key',
  'apikey',
  'accesskey',
  'accesskeyid',
  'sig',
  'pwd',
  'pass',
  'auth',
  'sessionid',
  'setcookie',
]);
const SUFFIXES = [
  'secret',
  'secrets',
  'token',
  'tokens',
  'signature',
  'password',
  'passwd',
  'passphrase',
  'apikey',
  'authorization',
  'cookie',
  'credential',
  'credentials',
  'privatekey',
];

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

/** Whether a field, query parameter or header of this name holds a credential. */
export function isSecretName(name: string): boolean {
  const n = normalise(name);
  return NAMES.has(n) || SUFFIXES.some((suffix) => n.endsWith(suffix));
}

/** `?a=1&key=…&secret=…`: each secret parameter's value replaced, the rest left for the caller. */
export function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // a broken escape in the name: judged as written
      }
      return isSecretName(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
}

/** A URL (or a path with a query): the secret query values replaced; the path is kept. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = hash < 0 ? url.slice(q + 1) : url.slice(q + 1, hash);
  return `${url.slice(0, q + 1)}${redactQuery(query)}${hash < 0 ? '' : url.slice(hash)}`;
}

// A query parameter inside free text (an error quoting a URL): `?key=…`, `&secret=…`, `;token=…`.
const PARAM_IN_TEXT = /([?&;])([A-Za-z0-9_.%-]+)=([^&\s#"'<>]*)/g;
// Credentials by their own shape, wherever they appear.
const SHAPES: Array<[RegExp, string]> = [
  // An Authorization header value quoted in text.
  [/\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=:-]+/g, `$1 ${REDACTED}`],
  // Alibaba's V3 signature header value: Credential=…,SignedHeaders=…,Signature=…
  [/\b(ACS3-HMAC-SHA256)\s+[^\s"']+/g, `$1 ${REDACTED}`],
  // Our API keys (axb_<prefix>_<secret>): the prefix names the key, the rest is the secret.
  [/\b(axb_[A-Za-z0-9]{8}_)[A-Za-z0-9_-]+/g, `$1${REDACTED}`],
  // Standard Webhooks signing secrets.
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${REDACTED}`],
  // `secret: …` / `token=…` written into a message by hand.
  [
    /\b([A-Za-z0-9_-]*(?:secret|token|password|signature|apikey|api_key))(["']?\s*[:=]\s*["']?)([^\s"',;&]+)/gi,
    `$1$2${REDACTED}`,
  ],
];

/**
 * What text must hold for PARAM_IN_TEXT or one of SHAPES to match (each needs `=` or `:`, or
 * one of these words, as written there): text without any of them has nothing to redact, and
 * is answered by this one test instead of six replacements (every log line's strings pass here).
 */
const MAY_QUOTE_SECRET = /[=:]|Bearer|Basic|Digest|ACS3-HMAC-SHA256|axb_|whsec_/;

/** Free text (a message, an error, a stack): every credential it quotes replaced. */
export function redactSecretsInText(text: string): string {
  if (!MAY_QUOTE_SECRET.test(text)) return text;
  let out = text.replace(PARAM_IN_TEXT, (match: string, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // judged as written
    }
    return isSecretName(decoded) ? `${sep}${name}=${REDACTED}` : match;
  });
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}
