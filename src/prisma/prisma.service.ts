import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { BoundedPool } from './bounded-pool.js';

/**
 * The one database client: Prisma on a `pg` Pool with explicit limits. The raw pool is exposed
 * too, for the few hot-path reads where Prisma's per-query overhead matters.
 *
 * Every wait is bounded, so a database that is down, restarting or frozen turns into a prompt
 * 503 (README: database faults) instead of a request that hangs: a connection is waited for at
 * most DATABASE_CONNECT_TIMEOUT_MS (queued or new) and only by DATABASE_POOL_MAX_WAITING callers
 * at once, a statement at most DATABASE_QUERY_TIMEOUT_MS on the client side (the server's own
 * statement_timeout is the backstop for a client that went away), and a Prisma interactive
 * transaction waits for its connection and runs within the same limits.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  readonly pgPool: BoundedPool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { url, poolSize, connectTimeoutMs, queryTimeoutMs, maxWaiting, idleTimeoutMs } =
      config.database;
    if (!url) throw new Error('PrismaService needs a database URL (main.ts resolves it first)');
    const pool = new BoundedPool(
      {
        connectionString: url,
        max: poolSize,
        connectionTimeoutMillis: connectTimeoutMs,
        query_timeout: queryTimeoutMs,
        idleTimeoutMillis: idleTimeoutMs,
        statement_timeout: config.database.statementTimeoutMs || undefined,
        application_name: 'axb-router',
      },
      maxWaiting,
    );
    super({
      adapter: new PrismaPg(pool),
      transactionOptions: { maxWait: connectTimeoutMs, timeout: queryTimeoutMs },
    });
    this.pgPool = pool;
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', (error) =>
      this.logger.warn(`Idle database connection failed: ${error.message}`),
    );
  }

  async onModuleInit(): Promise<void> {
    try {
      await this.pgPool.query('SELECT 1');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Database unreachable at start-up: ${reason}`, { cause: error });
    }
  }

  /** Idempotent: graceful shutdown closes the pool after everything that uses it has stopped. */
  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    if (!this.pgPool.ended) await this.pgPool.end();
  }
}
