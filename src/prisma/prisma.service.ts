import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PrismaClient } from '../generated/prisma/client.js';

/**
 * The one database client: Prisma on a `pg` Pool with explicit limits. The raw pool is exposed
 * too, for the few hot-path reads where Prisma's per-query overhead matters.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  readonly pgPool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { url, poolSize, connectTimeoutMs, idleTimeoutMs, statementTimeoutMs } = config.database;
    if (!url) throw new Error('PrismaService needs a database URL (main.ts resolves it first)');
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      idleTimeoutMillis: idleTimeoutMs,
      statement_timeout: statementTimeoutMs || undefined,
      application_name: 'axb-router',
    });
    super({ adapter: new PrismaPg(pool) });
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
      throw new Error(`Database unreachable at start-up: ${reason}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    if (!this.pgPool.ended) await this.pgPool.end();
  }
}
