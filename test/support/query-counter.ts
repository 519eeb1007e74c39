import pg from 'pg';

/**
 * Statements no request sends, each on its own timer: the routing cache listener's heartbeat, and
 * webhook delivery's look for endpoints while it has none.
 */
const BACKGROUND = new Set(['routing-listener-heartbeat', 'webhooks-idle-check']);

/**
 * Counts the statements sent through `pg` by this process (the service under test runs in it)
 * from start() until stop(): each is one round trip to Postgres. Returns their texts (or names).
 */
export function countQueries(): { stop(): string[] } {
  const seen: string[] = [];
  const original = pg.Client.prototype.query;
  // Every pg client, the Prisma adapter's included, sends through Client.prototype.query.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; name?: string };
    const name = typeof first === 'string' ? first : (first.name ?? first.text ?? '?');
    if (!BACKGROUND.has(name)) seen.push(name);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    stop: () => {
      pg.Client.prototype.query = original;
      return seen;
    },
  };
}
