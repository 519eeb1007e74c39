import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SERVICE_SESSION_OPTIONS } from '../prisma/bounded-pool.js';

/**
 * Sessions of the delivery machinery (this pool, pg-boss's): the service's settings, and commits
 * that do not wait for their WAL flush (synchronous_commit=off). Safe for what they write: an
 * event itself is written by the change's own transaction, durably; everything after it
 * (dispatch, a try's record, a job's completion) is bookkeeping a crash of the database may lose
 * only as a whole and in commit order (the last ~0.6 s at most: three wal_writer_delay), never in
 * part. A lost dispatch leaves its events undispatched (dispatched again, same webhook-id); a lost
 * record or completion leaves the delivery pending and its job active (run again after its
 * expiry, same webhook-id): at least once, as promised. Admin actions a caller is answered about
 * (a test event, a replay) commit durably (SET LOCAL in their transactions).
 */
export const DELIVERY_SESSION_OPTIONS = `${SERVICE_SESSION_OPTIONS} -c synchronous_commit=off`;

/**
 * Webhook delivery's own small pool (the dispatcher, the tries' bookkeeping): its statements never
 * queue behind binds or routing lookups for the service's connections, nor they behind it.
 */
@Injectable()
export class WebhookDatabase implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDatabase.name);
  readonly pool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { url, connectTimeoutMs, queryTimeoutMs, idleTimeoutMs } = config.database;
    this.pool = new pg.Pool({
      connectionString: url,
      max: 3,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      idleTimeoutMillis: idleTimeoutMs,
      application_name: 'axb-router-webhooks',
      options: DELIVERY_SESSION_OPTIONS,
    });
    this.pool.on('error', (error) =>
      this.logger.warn(`Idle webhook database connection failed: ${error.message}`),
    );
  }

  /**
   * Runs `work` on a client of its own. A checked-out client has no error listener of pg's: a
   * connection dying under it (the database restarted) would emit an unhandled 'error' and end
   * the process; here it fails `work`'s query instead, and the client is discarded (as after any
   * failure of `work`).
   */
  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      // Discarded after any failure: it may still hold what `work` took (a session lock).
      broken ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /**
   * After every onModuleDestroy (the dispatcher and the workers have stopped using it), and
   * before the embedded database stops (RuntimeResources, onApplicationShutdown): closed any
   * later, its idle connections were cut by that stop, a warning at every orderly shutdown.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
