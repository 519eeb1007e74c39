/**
 * pg's client-side timeout for one statement (`query_timeout` in a query config), for callers
 * with less time left than DATABASE_QUERY_TIMEOUT_MS; nothing when they have no budget of their
 * own (the pool's default applies).
 */
export function statementLimit(timeoutMs?: number): { query_timeout?: number } {
  return timeoutMs === undefined ? {} : { query_timeout: Math.max(1, Math.ceil(timeoutMs)) };
}
