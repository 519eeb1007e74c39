import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { POOL_QUEUE_FULL } from '../common/errors/database-unavailable.js';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { BoundedPool } from './bounded-pool.js';

/** 504 HISTORY_READ_TIMEOUT: an admin read ran past ADMIN_STATEMENT_TIMEOUT_MS and was cancelled. */
export class HistoryReadTimeoutError extends DomainError {
  constructor(timeoutMs: number) {
    super(
      'HISTORY_READ_TIMEOUT',
      `The read took longer than ${timeoutMs} ms and was cancelled; narrow the search`,
      504,
    );
  }
}

/** 503 HISTORY_READS_BUSY: every connection of the admin reads is taken and too many wait. */
export class HistoryReadsBusyError extends DomainError {
  constructor() {
    super('HISTORY_READS_BUSY', 'Too many history reads at once; try again shortly', 503, {
      retryAfterSeconds: 1,
    });
  }
}

/** The server cancelled the statement: statement_timeout (SQLSTATE 57014). */
const QUERY_CANCELED = '57014';

interface ErrorLike {
  code?: unknown;
  originalCode?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/** Whether `error`, or an error it wraps (Prisma, the driver adapter, pg), satisfies `test`. */
function inChain(error: unknown, test: (e: ErrorLike) => boolean, depth = 0): boolean {
  if (depth > 6 || error === null || typeof error !== 'object') return false;
  const e = error as ErrorLike;
  if (test(e)) return true;
  return [e.cause, e.meta?.driverAdapterError].some((inner) => inChain(inner, test, depth + 1));
}

const hasCode = (code: string) => (e: ErrorLike) => e.code === code || e.originalCode === code;
/** pg-pool's words when a caller's wait for a connection ran out. */
const ACQUIRE_TIMEOUT = (e: ErrorLike) =>
  typeof e.message === 'string' && e.message.includes('timeout exceeded when trying to connect');

/**
 * The admin history reads' own database client: binding search, a binding's timeline and calls,
 * the console's inventory lists, the reconciliation backlog (issue 27, finding 5: twenty wide
 * searches had taken the call path's connections and pushed lookups from 2 ms to 1.8 s). Its own
 * small pool (ADMIN_DATABASE_POOL_SIZE), so heavy reads wait for each other, never for the
 * connections binds and lookups use; a bounded queue (ADMIN_DATABASE_POOL_MAX_WAITING, then 503
 * HISTORY_READS_BUSY at once); and a server-side statement_timeout (ADMIN_STATEMENT_TIMEOUT_MS,
 * then 504 HISTORY_READ_TIMEOUT), so no read holds a connection or a core for long.
 *
 * Reads go through `read()` (Prisma) or `rows()` (plain pg), which name those two refusals; any
 * other failure keeps its own mapping (a database that is down is still DATABASE_UNAVAILABLE).
 */
@Injectable()
export class AdminReadsDatabase implements OnModuleDestroy {
  private readonly logger = new Logger(AdminReadsDatabase.name);
  private readonly pool: BoundedPool;
  private readonly client: PrismaClient;
  private readonly statementTimeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { url, connectTimeoutMs, queryTimeoutMs, idleTimeoutMs, admin } = config.database;
    if (!url)
      throw new Error('AdminReadsDatabase needs a database URL (main.ts resolves it first)');
    this.statementTimeoutMs = admin.statementTimeoutMs;
    this.pool = new BoundedPool(
      {
        connectionString: url,
        max: admin.poolSize,
        connectionTimeoutMillis: connectTimeoutMs,
        // The server cancels first (a clear 57014); the client's limit is for a server that
        // does not answer at all.
        query_timeout: Math.max(queryTimeoutMs, admin.statementTimeoutMs + 1000),
        idleTimeoutMillis: idleTimeoutMs,
        statement_timeout: admin.statementTimeoutMs,
        application_name: 'axb-router-admin',
      },
      admin.maxWaiting,
    );
    this.pool.on('error', (error) =>
      this.logger.warn(`Idle admin database connection failed: ${error.message}`),
    );
    this.client = new PrismaClient({ adapter: new PrismaPg(this.pool) });
  }

  /** Runs Prisma reads on the admin pool. */
  read<T>(work: (db: PrismaClient) => Promise<T>): Promise<T> {
    return work(this.client).catch((error: unknown) => this.refusal(error));
  }

  /** One plain pg query on the admin pool. */
  async rows<T extends pg.QueryResultRow>(query: pg.QueryConfig): Promise<T[]> {
    try {
      return (await this.pool.query<T>(query)).rows;
    } catch (error) {
      return this.refusal(error);
    }
  }

  /** The pool's connections now: in all, idle, and callers waiting for one. */
  stats(): { total: number; idle: number; waiting: number } {
    return {
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
    };
  }

  private refusal(error: unknown): never {
    if (inChain(error, hasCode(QUERY_CANCELED))) {
      throw new HistoryReadTimeoutError(this.statementTimeoutMs);
    }
    // The queue was full, or a place in it ran out while every connection was busy (not a
    // server that cannot be reached: then the pool is not full).
    const saturated = this.pool.totalCount >= (this.pool.options.max ?? 0);
    if (
      inChain(error, hasCode(POOL_QUEUE_FULL)) ||
      (saturated && inChain(error, ACQUIRE_TIMEOUT))
    ) {
      throw new HistoryReadsBusyError();
    }
    throw error;
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.$disconnect();
    if (!this.pool.ended) await this.pool.end();
  }
}
