/**
 * `host:port/dbname` of a Postgres URL, for a person to read: never the user name or password,
 * nor the URL's options.
 */
export function databaseAddress(url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname || 'localhost';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default)';
  return `${host}:${parsed.port || '5432'}/${database}`;
}
