import pg from 'pg';
import { POOL_QUEUE_FULL } from '../common/errors/database-unavailable.js';

type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * A `pg` Pool whose queue of callers waiting for a connection is bounded: beyond `maxWaiting`
 * waiters a request is refused at once (classified as database unavailability, 503) instead of
 * joining a queue it would only time out in. The wait itself is bounded by
 * `connectionTimeoutMillis`, which pg-pool applies to queued callers and to new connections
 * alike. So a burst is either served or refused quickly; none starves.
 */
/**
 * Settings of every session the service opens, sent at connection start (no round trip). JIT off:
 * the service's statements are short, and once a plan's estimated cost passes jit_above_cost
 * Postgres compiles it first. A function's `SET enable_seqscan = off` prices any sequential scan
 * under it at 1e10, so a trigger's read of a ten-row table in a bind was compiled on every
 * call, 100–170 ms each: a bind's Postgres CPU went from ~2 ms to ~18 ms. Admin searches, whose
 * plans are costlier, paid the same compile on top of their run. (Such functions now turn JIT
 * off themselves as well, for sessions that are not the service's: prisma/sql/100_functions_jit_off.sql.)
 */
export const SERVICE_SESSION_OPTIONS = '-c jit=off';

export class BoundedPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly maxWaiting: number,
  ) {
    super({ options: SERVICE_SESSION_OPTIONS, ...config });
  }

  // Both of pg's call shapes: a promise, or a callback (pool.query() uses the latter).
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    if (this.waitingCount >= this.maxWaiting && this.idleCount === 0) {
      const error = Object.assign(
        new Error(`Too many requests waiting for a database connection (${this.waitingCount})`),
        { code: POOL_QUEUE_FULL },
      );
      if (!callback) return Promise.reject(error);
      process.nextTick(() => callback(error, undefined, () => undefined));
      return;
    }
    return callback
      ? super.connect(callback as Parameters<pg.Pool['connect']>[0] & object)
      : super.connect();
  }
}
