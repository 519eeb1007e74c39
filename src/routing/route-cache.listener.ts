import { randomBytes } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { INVALIDATION_CHANNEL, parseInvalidation, syncPayload } from './cache-invalidation.js';
import { RouteCache } from './route-cache.js';

/** Reconnection delays: doubling from the first to the last, then staying there. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 5_000;

/**
 * Keeps this instance's routing cache in step with the database. A dedicated connection (not
 * from the pool: it must stay open and LISTENing) receives the notifications the triggers send in
 * the transaction of every change, from any instance or process, and drops the affected entries.
 *
 * The cache is used only while this connection is up and listening. On any error or end of the
 * connection, or a heartbeat left unanswered for a whole interval (a connection that died
 * silently), the cache is emptied and bypassed — lookups read the database as if there were no
 * cache — and the listener reconnects with backoff. Once LISTEN is in place again the cache is
 * emptied once more (whatever changed meanwhile was not heard) and used again.
 */
@Injectable()
export class RouteCacheListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RouteCacheListener.name);
  /** Names this instance's connection in pg_stat_activity (operators, and the tests, find it so). */
  readonly applicationName = `axb-router-cache-${randomBytes(4).toString('hex')}`;
  /** How often the connection was lost (or never made) since start. */
  interruptions = 0;
  private client: pg.Client | undefined;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private syncs = 0;
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cache: RouteCache,
  ) {}

  /** True while notifications are being received and the cache is in use. */
  get listening(): boolean {
    return this.cache.active;
  }

  /**
   * Resolves once every change committed before the call has reached this cache: a marker sent
   * through the database comes back after them, as Postgres delivers notifications in commit
   * order. Rejects when the listener is not (or no longer) listening.
   */
  async caughtUp(): Promise<void> {
    const client = this.client;
    if (!client || !this.cache.active)
      throw new Error('the routing cache listener is not listening');
    this.syncs += 1;
    const token = `${this.applicationName}:${this.syncs}`;
    const back = new Promise<void>((resolve, reject) =>
      this.waiting.set(token, { resolve, reject }),
    );
    await client.query('SELECT pg_notify($1, $2)', [INVALIDATION_CHANNEL, syncPayload(token)]);
    await back;
  }

  async onModuleInit(): Promise<void> {
    // No cache configured: nothing to keep in step, no connection held.
    if (!this.cache.enabled) return;
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    this.cache.suspend();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { url, connectTimeoutMs } = this.config.database;
    const client = new pg.Client({
      connectionString: url,
      application_name: this.applicationName,
      connectionTimeoutMillis: connectTimeoutMs,
      keepAlive: true,
    });
    this.client = client;
    client.on('notification', (message) => {
      if (client !== this.client || message.channel !== INVALIDATION_CHANNEL) return;
      const change = parseInvalidation(message.payload);
      if (change.kind === 'sync') this.settle(change.token);
      else this.cache.invalidate(change);
    });
    // Stays attached after the client is abandoned: a late error must not crash the process.
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection closed'));
    try {
      await client.connect();
      await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch (error) {
      this.lost(client, error instanceof Error ? error.message : String(error));
      return;
    }
    if (client !== this.client || this.stopped) return;
    // Every change committed from here on will be heard; what changed before is read afresh.
    this.cache.resume();
    if (this.failures > 0)
      this.logger.log('Routing cache listener reconnected: cache in use again');
    this.failures = 0;
    this.startHeartbeat(client);
  }

  private settle(token: string): void {
    const waiter = this.waiting.get(token);
    this.waiting.delete(token);
    waiter?.resolve();
  }

  private startHeartbeat(client: pg.Client): void {
    const intervalMs = this.config.routing.listenerHeartbeatMs;
    let pending = false;
    this.heartbeatTimer = setInterval(() => {
      if (pending) {
        // Timers run before I/O in an event-loop turn: give an answer already received its turn
        // before calling the connection dead.
        setImmediate(() => {
          if (pending) this.lost(client, `no heartbeat answer within ${intervalMs} ms`);
        });
        return;
      }
      pending = true;
      client.query({ name: 'routing-listener-heartbeat', text: 'SELECT 1' }).then(
        () => (pending = false),
        (error: unknown) => this.lost(client, error instanceof Error ? error.message : 'heartbeat'),
      );
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  /** The connection is gone or untrusted: bypass the cache, drop the client, try again later. */
  private lost(client: pg.Client, reason: string): void {
    if (client !== this.client) return;
    this.client = undefined;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    const wasInUse = this.cache.active;
    this.cache.suspend();
    for (const { reject } of this.waiting.values()) reject(new Error(`listener lost: ${reason}`));
    this.waiting.clear();
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.interruptions += 1;
    if (wasInUse || this.failures === 0) {
      this.logger.warn(
        `Routing cache bypassed, invalidation listener lost: ${reason}; reconnecting`,
      );
    }
    this.failures += 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
