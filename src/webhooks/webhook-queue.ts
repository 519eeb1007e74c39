import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Job, PgBoss } from 'pg-boss';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export const DELIVERY_QUEUE = 'webhook-deliveries';

/** The job of one delivery try: which delivery. */
export interface DeliveryJob {
  deliveryId: string;
}

/** A job to insert with the dispatcher's transaction. */
export interface DeliveryJobInsert {
  id: string;
  deliveryId: string;
  endpointId: string;
  /** Jobs of one key run one at a time, in order: `<endpoint>:<binding or event>`. */
  orderKey: string;
}

/** A `pg` client (or pool) pg-boss may run its statements on: the caller's transaction. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * pg-boss, the Postgres job queue retries are scheduled by (README: Events to subscribers). One
 * queue, `key_strict_fifo`: a job per delivery, keyed by endpoint and binding, so a binding's
 * events reach each endpoint in order while a failing one holds back only its own key; a job
 * retrying waits in pg-boss (`retry` state, its start time set from the schedule); a job whose
 * process died is failed by pg-boss's supervisor after `expireInSeconds` and tried again.
 */
@Injectable()
export class WebhookQueue implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookQueue.name);
  private boss: PgBoss | undefined;
  private starting: Promise<PgBoss> | undefined;
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** How long a try may hold its job before pg-boss counts its process as gone, seconds. */
  get expireSeconds(): number {
    return Math.ceil(this.config.webhooks.timeoutMs / 1000) + 5;
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
      application_name: 'axb-router-webhooks',
      max: Math.min(20, Math.ceil(webhooks.concurrency / 2) + 3),
      connectionTimeoutMillis: database.connectTimeoutMs,
      useListenNotify: true,
      superviseIntervalSeconds: Math.min(60, this.expireSeconds),
      schedule: false,
    });
    boss.on('error', (error: Error) => this.logger.warn(`pg-boss: ${error.message}`));
    await boss.start();
    const firstWait = Math.max(1, Math.ceil((webhooks.retryScheduleMs[0] ?? 5000) / 1000));
    const queue = {
      policy: 'key_strict_fifo' as const,
      notify: true,
      // The schedule is ours (retry-schedule.ts); pg-boss's own delay only applies to a try whose
      // process died (the supervisor fails it): the schedule's first wait.
      retryLimit: 1000,
      retryDelay: firstWait,
      retryBackoff: false,
      expireInSeconds: this.expireSeconds,
      retentionSeconds: 14 * 86_400,
      deleteAfterSeconds: 7 * 86_400,
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
        data: { deliveryId: j.deliveryId },
        singletonKey: j.orderKey,
        group: { id: j.endpointId },
      })),
      { db: { executeSql: (text, values) => runner.query(text, values) } },
    );
  }

  /**
   * Runs deliveries: WEBHOOKS_CONCURRENCY workers, at most WEBHOOKS_ENDPOINT_CONCURRENCY of them on
   * one endpoint at a time (across instances). Each worker is its own `work()`, so that after a
   * job it can be told to look for the next at once (pg-boss's notifyWorker) instead of waiting
   * out its poll: a binding's next event follows the one before without a poll's delay.
   */
  async work(handler: (job: Job<DeliveryJob>) => Promise<void>): Promise<void> {
    const boss = await this.start();
    const { concurrency, endpointConcurrency, pollIntervalMs } = this.config.webhooks;
    const pollSeconds = Math.max(0.5, pollIntervalMs / 1000);
    for (let i = 0; i < concurrency; i += 1) {
      let id = '';
      id = await boss.work<DeliveryJob>(
        DELIVERY_QUEUE,
        {
          batchSize: 1,
          groupConcurrency: endpointConcurrency,
          // A new job wakes the workers at once (NOTIFY); a retry that came due is found by polling.
          pollingIntervalSeconds: pollSeconds,
          notifyPollingIntervalSeconds: pollSeconds,
        },
        async ([job]) => {
          if (!job) return;
          try {
            await handler(job);
          } finally {
            // Read after this job is settled: fetch again without waiting.
            if (id) boss.notifyWorker(id);
          }
        },
      );
    }
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

  /** Stops taking jobs, waits for tries in hand (at most the timeout), closes its pool. */
  async stop(): Promise<void> {
    this.closed = true;
    const boss =
      this.boss ?? (this.starting ? await this.starting.catch(() => undefined) : undefined);
    if (boss) await boss.stop({ graceful: true, timeout: this.config.webhooks.timeoutMs + 2000 });
    this.boss = undefined;
    this.starting = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }
}
