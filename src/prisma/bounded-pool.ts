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
export class BoundedPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly maxWaiting: number,
  ) {
    super(config);
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
