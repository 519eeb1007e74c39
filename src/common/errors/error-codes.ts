/**
 * Every `code` an error answer of the API can carry, with its HTTP status and when it is given:
 * the README's error table is generated from these rows (src/cli/error-tables.ts), and a test
 * reads the source for every code it can answer and finds each here (and statuses where the
 * source states them), so the table and the service cannot disagree. Provider failures have
 * their own rows, next to the mapping that answers them (src/provider/provider-failure.ts).
 */
export interface ErrorCodeRow {
  codes: readonly string[];
  /** The HTTP status (or statuses, as the README shows them). */
  status: string;
  when: string;
}

export const API_ERROR_CODES: readonly ErrorCodeRow[] = [
  {
    codes: ['VALIDATION_FAILED'],
    status: '400',
    when: 'a field, parameter or query value is invalid (`fields` names each); nothing was changed',
  },
  {
    codes: ['INVALID_JSON', 'BODY_TOO_DEEP', 'INVALID_CONTENT_LENGTH'],
    status: '400',
    when: 'the body is not UTF-8 JSON, nests too deep, or its length is not what it says',
  },
  {
    codes: ['BAD_URL', 'MALFORMED_REQUEST'],
    status: '400',
    when: "the URL's %-encoding is broken; HTTP could not parse the request",
  },
  {
    codes: ['UNAUTHENTICATED', 'INVALID_API_KEY'],
    status: '401',
    when: 'no API key; not a valid one',
  },
  {
    codes: ['SESSION_EXPIRED'],
    status: '401',
    when: "the console's session cookie names a session that has ended",
  },
  {
    codes: ['FORBIDDEN_ROLE', 'CSRF_TOKEN_INVALID'],
    status: '403',
    when: "the key lacks the route's role; a cookie-authenticated change without its CSRF token",
  },
  {
    codes: ['CALLBACKS_DISABLED', 'BAD_CALLBACK_SECRET'],
    status: '403',
    when: 'a provider push while `CALLBACK_SECRET` is unset; with the wrong secret',
  },
  {
    codes: ['NUMBER_HEALTH_PUSH_DISABLED'],
    status: '403',
    when: 'a number-health push while `CALLBACK_NUMBER_HEALTH_ENABLED` is off (health comes from the queue)',
  },
  {
    codes: ['ROUTE_FORBIDDEN'],
    status: '403',
    when: 'a routing lookup refused: no such live binding, or the caller is neither of its parties (one answer for all: it reveals nothing)',
  },
  {
    codes: ['CALL_RESTRICTED', 'CALLER_BLACKLISTED', 'X_LOCKED'],
    status: '403',
    when: "a routing lookup by a party whose call the provider's rules stop: the binding's call restriction (the driver after the trip), the pool's blacklist, a locked X; nothing to dial",
  },
  {
    codes: ['NOT_FOUND'],
    status: '404',
    when: "no such route or resource (an order key asking for another caller group's binding gets the same)",
  },
  {
    codes: ['RECORDING_NOT_READY', 'RECORDING_UNAVAILABLE', 'TRANSCRIPT_NOT_READY'],
    status: '404',
    when: "a call's recording is not ready yet, or the provider has none (not recorded, past 30 days); its transcript is not ready",
  },
  {
    codes: ['METHOD_NOT_ALLOWED'],
    status: '405',
    when: 'the path exists for other methods (`Allow` lists them)',
  },
  {
    codes: ['REQUEST_TIMEOUT'],
    status: '408',
    when: 'headers or body did not arrive in time (`HTTP_HEADERS_/REQUEST_TIMEOUT_MS`)',
  },
  {
    codes: ['OUT_ID_CONFLICT', 'X_UNAVAILABLE', 'X_CONFLICT', 'SAME_PARTIES'],
    status: '409',
    when: 'the order is bound with other parties (by another caller group: only that it is taken); a pinned X cannot take the pair; a change would put a party twice on X, or make A and B one number',
  },
  {
    codes: ['BINDING_NOT_SETTLED', 'BINDING_NOT_LIVE', 'NUMBER_IN_USE', 'JOB_RUNNING'],
    status: '409',
    when: 'a change to a binding not settled yet, or no longer live; releasing a number live bindings use; a job already running',
  },
  {
    codes: ['PHONE_HAS_LIVE_BINDING'],
    status: '409',
    when: 'an erasure of a number with bindings not over (`orders` names them); nothing was erased',
  },
  {
    codes: ['WEBHOOK_DELIVERY_NOT_DEAD'],
    status: '409',
    when: 'a replay of a webhook delivery that is not dead (still being tried, or delivered)',
  },
  {
    codes: ['PAYLOAD_TOO_LARGE'],
    status: '413',
    when: 'body over `HTTP_BODY_LIMIT_BYTES`',
  },
  {
    codes: ['URI_TOO_LONG'],
    status: '414',
    when: 'URL over `HTTP_MAX_URL_LENGTH`, or a path segment over 100 characters',
  },
  {
    codes: ['UNSUPPORTED_MEDIA_TYPE'],
    status: '415',
    when: 'a body that is not `application/json`',
  },
  { codes: ['RATE_LIMITED'], status: '429', when: "over the key's rate (`Retry-After`)" },
  {
    codes: ['PHONE_SEARCH_RATE_LIMITED'],
    status: '429',
    when: "over the key's searches by a phone number (`PHONE_SEARCH_PER_MINUTE`, `Retry-After`)",
  },
  {
    codes: ['AUTH_THROTTLED'],
    status: '429',
    when: 'the client address failed authentication too often (`AUTH_FAILURES_PER_ADDRESS`, `Retry-After`)',
  },
  {
    codes: ['HEADERS_TOO_LARGE'],
    status: '431',
    when: 'request line + headers over `HTTP_MAX_HEADER_BYTES`',
  },
  {
    codes: ['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'CONFLICT', 'TOO_MANY_REQUESTS'],
    status: '4xx',
    when: 'a refusal of the framework without a code of its own: named after its status',
  },
  {
    codes: ['CHANGE_UNDONE'],
    status: '502/504',
    when: 'a change of a binding the provider did not confirm was undone there: the binding is as it was, retry',
  },
  {
    codes: ['JOB_FAILED'],
    status: '500',
    when: 'a job run on request (`POST /v1/admin/jobs/{name}`) failed: its error is in the message',
  },
  {
    codes: ['INTERNAL'],
    status: '500',
    when: 'a bug: details only in the log (at error), under the `requestId`',
  },
  {
    codes: ['HISTORY_READS_BUSY'],
    status: '503',
    when: 'too many admin history reads wait for their own pool (`ADMIN_DATABASE_POOL_MAX_WAITING`)',
  },
  {
    codes: ['HISTORY_READ_TIMEOUT'],
    status: '504',
    when: 'an admin history read ran past `ADMIN_STATEMENT_TIMEOUT_MS`',
  },
  {
    codes: ['DATABASE_UNAVAILABLE'],
    status: '503',
    when: 'database down, restarting, frozen or out of connections; nothing was recorded (`Retry-After`)',
  },
  {
    codes: ['BIND_OUTCOME_PENDING'],
    status: '503',
    when: "the bind's write may be recorded but its outcome is not known (the database went away after it was sent): replay the same `outId` (`Retry-After`)",
  },
  {
    codes: ['NO_NUMBERS'],
    status: '503',
    when: 'the pool holds no numbers here (of the city, when strict): buy or register some; no provider call',
  },
  {
    codes: ['NUMBERS_EXHAUSTED'],
    status: '503',
    when: 'no number of the pool can take the pair now: the least loaded ones, at most 8 found full (or the provider has none, see below)',
  },
  {
    codes: ['NOT_READY'],
    status: '503',
    when: 'readiness: shutting down, or the database did not answer within 2 s',
  },
];
