import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Job, PgBoss } from 'pg-boss';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DELIVERY_SESSION_OPTIONS } from './webhook-database.js';

export const DELIVERY_QUEUE = 'webhook-deliveries';

/**
 * Jobs settled between two refreshes of the job table's statistics. Not spaced out further in
 * time: with at most one ANALYZE every 10 s, a lag run's fetches read stale statistics again
 * (one of three runs: fetches at twice the CPU, lag p99 1.6 s).
 */
const ANALYZE_EVERY = 2000;

/** A job of one delivery (its retries; a test event; a replay): which delivery. */
export interface SingleDeliveryJob {
  deliveryId: string;
  /**
   * Tried no sooner than this (ISO time): a delivery whose first try, made by its batch, failed.
   * Its job is inserted to run at once, so that it heads its key before any later event of the
   * binding; on its first run it only waits (pg-boss's retry state, which holds the key) until then.
   */
  notBefore?: string;
}

/** The first try of the deliveries of one dispatch pass to one endpoint, in id order. */
export interface BatchDeliveryJob {
  /** The deliveries' ids. */
  batch: string[];
  /**
   * Each delivery's event (the same order as `batch`), its endpoint and the dispatch time: the
   * deliveries are not stored yet, the batch's settlement inserts each one complete (its try's
   * outcome, or pending when handed on). Absent from a batch dispatched by an earlier version,
   * whose deliveries were stored by the dispatcher.
   */
  events?: string[];
  endpoint?: string;
  at?: string;
}

export type DeliveryJob = SingleDeliveryJob | BatchDeliveryJob;

export const isBatchJob = (job: Job<DeliveryJob>): job is Job<BatchDeliveryJob> =>
  'batch' in job.data;

/** A job to insert with the caller's transaction. */
export interface DeliveryJobInsert {
  id: string;
  deliveryId: string;
  endpointId: string;
  /** Jobs of one key run one at a time, in order: `<endpoint>:<binding or event>`. */
  orderKey: string;
  notBefore?: Date;
}

/** A batch job to insert with the dispatcher's transaction. */
export interface BatchJobInsert {
  id: string;
  endpointId: string;
  deliveryIds: string[];
  /** Their events (same order) and the dispatch time: deliveries not stored until settled. */
  eventIds: string[];
  at: Date;
}

/** The key of an endpoint's batch jobs: one at a time, in dispatch order. */
const batchKey = (endpointId: string) => `${endpointId}:batch`;

/** A `pg` client (or pool) pg-boss may run its statements on: the caller's transaction. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * pg-boss, the Postgres job queue retries are scheduled by (README: Events to subscribers). One
 * queue, `key_strict_fifo`, two kinds of job: a batch per endpoint and dispatch pass (first
 * tries; key `<endpoint>:batch`, so an endpoint's run one at a time, in order), and a job per
 * delivery that must wait (retries; a test event; a replay), keyed by endpoint and binding, so a
 * binding's events reach each endpoint in order while a failing one holds back only its own key;
 * a job retrying waits in pg-boss (`retry` state, its start time set from the schedule); a job
 * whose process died is failed by pg-boss's supervisor after its expiry and run again.
 */
@Injectable()
export class WebhookQueue implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookQueue.name);
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;
  private closed = false;
  private settledSinceAnalyze = 0;
  private analyzing: Promise<void> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** How long a try may hold its job before pg-boss counts its process as gone, seconds. */
  get expireSeconds(): number {
    return Math.ceil(this.config.webhooks.timeoutMs / 1000) + 5;
  }

  /**
   * How long a batch may hold its job: its tries start within WEBHOOKS_TIMEOUT_MS and each lasts
   * at most as long again, then one transaction settles them.
   */
  get batchExpireSeconds(): number {
    return 2 * Math.ceil(this.config.webhooks.timeoutMs / 1000) + 5;
  }

  /** Starts pg-boss once (installs or migrates its schema, creates the queue). */
  start(): Promise<PgBoss> {
    if (this.closed) return Promise.reject(new Error('webhook queue stopped'));
    this.starting ??= this.open();
    return this.starting;
  }

  private async open(): Promise<PgBoss> {
    const { webhooks, database } = this.config;
    // Loaded on first use: an instance without endpoints never pays for it at start-up.
    const { PgBoss } = await import('pg-boss');
    const boss = new PgBoss({
      connectionString: database.url!,
      application_name: 'axb-router-webhooks-queue',
      // JIT off like every service session: a fetch priced past jit_above_cost (its estimates
      // swing with the job table's statistics) was compiled on every call, ~100 ms each. Commits
      // not waiting for their flush: see DELIVERY_SESSION_OPTIONS.
      options: DELIVERY_SESSION_OPTIONS,
      // The pump's one fetch at a time, its batched settles, retries, pg-boss's supervisor.
      max: 4,
      connectionTimeoutMillis: database.connectTimeoutMs,
      // The pump fetches again as soon as it has room (and every poll): nobody LISTENs.
      useListenNotify: false,
      superviseIntervalSeconds: Math.min(60, this.expireSeconds),
      // Expired jobs are failed by the monitor pass, every 60 s by default: a try cut off by a
      // crash (ours, or the database's) would wait that long on top of its expiry.
      monitorIntervalSeconds: Math.min(60, this.expireSeconds),
      schedule: false,
      // No job here has dependencies: the flow resolver's poll (a row update every 5 s by
      // default) has nothing to resolve.
      flowIntervalSeconds: 60,
    });
    boss.on('error', (error: Error) => this.logger.warn(`pg-boss: ${error.message}`));
    await boss.start();
    const firstWait = Math.max(1, Math.ceil((webhooks.retryScheduleMs[0] ?? 5000) / 1000));
    const queue = {
      policy: 'key_strict_fifo' as const,
      notify: false,
      // The schedule is ours (retry-schedule.ts); pg-boss's own delay only applies to a try whose
      // process died (the supervisor fails it): the schedule's first wait.
      retryLimit: 1000,
      retryDelay: firstWait,
      retryBackoff: false,
      expireInSeconds: this.expireSeconds,
      retentionSeconds: 14 * 86_400,
      // A settled job is of no more use (the delivery and its tries are ours to keep, for
      // WEBHOOK_RETENTION_DAYS); kept for days, they only bloated the table every fetch reads.
      deleteAfterSeconds: 3_600,
    };
    // A queue's policy is fixed at creation; a restart (or a changed setting) updates the rest.
    if (await boss.getQueue(DELIVERY_QUEUE)) {
      const { policy: _policy, ...settings } = queue;
      await boss.updateQueue(DELIVERY_QUEUE, settings);
    } else await boss.createQueue(DELIVERY_QUEUE, queue);
    this.boss = boss;
    return boss;
  }

  /** Inserts jobs inside the caller's transaction (`runner` is its client). */
  async insert(runner: SqlRunner, jobs: readonly DeliveryJobInsert[]): Promise<void> {
    if (jobs.length === 0) return;
    const boss = await this.start();
    await boss.insert(
      DELIVERY_QUEUE,
      jobs.map((j) => ({
        id: j.id,
        data: j.notBefore
          ? { deliveryId: j.deliveryId, notBefore: j.notBefore.toISOString() }
          : { deliveryId: j.deliveryId },
        singletonKey: j.orderKey,
        group: { id: j.endpointId },
      })),
      { db: asDb(runner) },
    );
  }

  /**
   * Inserts batch jobs inside the caller's transaction: an endpoint's run one at a time, in the
   * order inserted (key_strict_fifo on `<endpoint>:batch`); one whose process died holds its key
   * (pg-boss's retry state) until it is run again.
   */
  async insertBatches(runner: SqlRunner, batches: readonly BatchJobInsert[]): Promise<void> {
    if (batches.length === 0) return;
    const boss = await this.start();
    await boss.insert(
      DELIVERY_QUEUE,
      batches.map((b) => ({
        id: b.id,
        data: {
          batch: b.deliveryIds,
          events: b.eventIds,
          endpoint: b.endpointId,
          at: b.at.toISOString(),
        } satisfies BatchDeliveryJob,
        singletonKey: batchKey(b.endpointId),
        group: { id: b.endpointId },
        expireInSeconds: this.batchExpireSeconds,
      })),
      { db: asDb(runner) },
    );
  }

  /**
   * Completes batch jobs inside the caller's transaction, fenced to their attempts: false when a
   * claim lapsed (pg-boss counted its process gone and will run it again), and the caller rolls
   * back, leaving that job to its next run.
   */
  async completeIn(runner: SqlRunner, jobs: ReadonlyArray<Job<DeliveryJob>>): Promise<boolean> {
    if (jobs.length === 0) return true;
    const boss = this.boss ?? (await this.start());
    const done = await boss.complete(
      DELIVERY_QUEUE,
      jobs.map((j) => ({ id: j.id, retryCount: j.retryCount })),
      undefined,
      { db: asDb(runner) },
    );
    this.countSettled(jobs.length, boss);
    // CommandResponse is declared empty; complete() answers { jobs, requested, affected }.
    return (done as { affected?: number }).affected === jobs.length;
  }

  /**
   * Claims up to `limit` jobs that may run now: the head of each key (a binding's next event at
   * an endpoint, never two of one key), at most WEBHOOKS_ENDPOINT_CONCURRENCY active per endpoint
   * across instances. One statement for the batch (pg-boss's fetch), instead of one per job.
   */
  async fetch(limit: number): Promise<Array<Job<DeliveryJob>>> {
    const boss = await this.start();
    return boss.fetch<DeliveryJob>(DELIVERY_QUEUE, {
      batchSize: limit,
      groupConcurrency: this.config.webhooks.endpointConcurrency,
    });
  }

  /** Settles tries that are over (delivered, or dead): one statement, fenced to their attempts. */
  async complete(jobs: ReadonlyArray<Job<DeliveryJob>>): Promise<void> {
    if (jobs.length === 0) return;
    const boss = this.boss ?? (await this.start());
    await boss.complete(
      DELIVERY_QUEUE,
      jobs.map((j) => ({ id: j.id, retryCount: j.retryCount })),
    );
    this.countSettled(jobs.length, boss);
  }

  private countSettled(n: number, boss: PgBoss): void {
    this.settledSinceAnalyze += n;
    if (this.settledSinceAnalyze >= ANALYZE_EVERY && !this.analyzing) {
      this.settledSinceAnalyze = 0;
      this.analyzing = this.analyze(boss).finally(() => (this.analyzing = undefined));
    }
  }

  /**
   * Refreshes the job table's statistics in the background. Every job passes through three
   * states in seconds; until autovacuum comes (at most once a minute) the planner sees a fresh
   * queue's one row and plans the strict-FIFO fetch as nested loops, which after a burst took
   * a second a fetch (README: Benchmarks).
   */
  private async analyze(boss: PgBoss): Promise<void> {
    try {
      await boss.getDb().executeSql('ANALYZE pgboss.job');
    } catch (error) {
      this.logger.warn(`Analyzing pg-boss's job table failed: ${String(error)}`);
    }
  }

  /** A try that broke (not a receiver's answer): pg-boss runs it again after its retry delay. */
  async fail(job: Job<DeliveryJob>, reason: string): Promise<void> {
    const boss = this.boss ?? (await this.start());
    await boss.fail(DELIVERY_QUEUE, { id: job.id, retryCount: job.retryCount }, { reason });
  }

  /**
   * A failed try: the job waits in pg-boss's `retry` state, then runs again after `delayMs`
   * (fenced to this attempt: a claim that lapsed changes nothing).
   */
  async retryLater(job: Job<DeliveryJob>, delayMs: number, reason: string): Promise<void> {
    // The instance that handed out the job (still open while stop() waits for its handlers).
    const boss = this.boss ?? (await this.start());
    await boss.fail(DELIVERY_QUEUE, { id: job.id, retryCount: job.retryCount }, { reason });
    await boss.update(DELIVERY_QUEUE, undefined, { id: job.id, startAfter: delayMs / 1000 });
  }

  /** Closes pg-boss (its pool, supervisor); the pump has settled the tries in hand before. */
  async stop(): Promise<void> {
    this.closed = true;
    const boss =
      this.boss ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    await this.analyzing;
    if (boss) await boss.stop({ graceful: true, timeout: this.config.webhooks.timeoutMs + 2000 });
    this.boss = undefined;
    this.starting = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }
}

function asDb(runner: SqlRunner) {
  return { executeSql: (text: string, values?: unknown[]) => runner.query(text, values) };
}
