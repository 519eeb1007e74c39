import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { WebhookDatabase } from './webhook-database.js';
import { performance } from 'node:perf_hooks';
import { Lifecycle } from '../runtime/lifecycle.js';
import { DispatchPace } from './dispatch-pace.js';
import { WebhookDeliveryPump } from './webhook-delivery.pump.js';
import { WebhookOutboxRepository } from './webhook-outbox.repository.js';
import { WebhookQueue } from './webhook-queue.js';

/** Events dispatched per transaction (a full batch is followed by the next at once). */
const DISPATCH_BATCH = 500;
/** With nothing to deliver (no endpoint anywhere), how often to look again. */
const IDLE_CHECK_MS = 1000;
/** After a failed pass (database down), the next waits this much longer than usual. */
const ERROR_PAUSE_MS = 1000;

/**
 * Runs delivery on this instance: the dispatcher (outbox → deliveries and jobs, every
 * WEBHOOKS_DISPATCH_INTERVAL_MS, longer under load: DispatchPace) and the pump that claims and
 * tries them. Neither starts before there is something to deliver (an endpoint, or an event
 * waiting), so an instance without subscribers holds no pg-boss connection. GracefulShutdown
 * stops it: no new pass or try, the tries in hand finish (each is bounded by
 * WEBHOOKS_TIMEOUT_MS); a try cut short by a crash is tried again.
 */
@Injectable()
export class WebhookDeliveryRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryRunner.name);
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private working = false;
  private stopped = false;
  private failures = 0;
  private readonly pace: DispatchPace;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly db: WebhookDatabase,
    private readonly outbox: WebhookOutboxRepository,
    private readonly queue: WebhookQueue,
    private readonly pump: WebhookDeliveryPump,
    private readonly lifecycle: Lifecycle,
  ) {
    const { dispatchIntervalMs, dispatchIntervalMaxMs } = config.webhooks;
    this.pace = new DispatchPace(dispatchIntervalMs, dispatchIntervalMaxMs);
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.workersEnabled) return;
    this.lifecycle.stopping.addEventListener('abort', () => void this.stop(), { once: true });
    this.schedule(0);
  }

  /** Starts the workers now (an endpoint was just made), instead of at the next pass. */
  async wake(): Promise<void> {
    if (!this.config.webhooks.workersEnabled || this.stopped) return;
    await this.startWorkers();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.runPass().finally(() => (this.pass = undefined));
    }, ms);
    this.timer.unref();
  }

  private async runPass(): Promise<void> {
    let next = this.config.webhooks.dispatchIntervalMs;
    try {
      if (!this.working && !(await this.anythingToDeliver())) {
        next = IDLE_CHECK_MS;
        return;
      }
      await this.startWorkers();
      const startedAt = performance.now();
      const { taken, deliveries, batchEndpoints } = await this.outbox.dispatch(
        DISPATCH_BATCH,
        this.clock.now(),
      );
      if (taken > 0) this.pump.wake(batchEndpoints);
      next = taken === DISPATCH_BATCH ? 0 : this.pace.next(deliveries, startedAt);
      this.failures = 0;
    } catch (error) {
      if (this.failures++ === 0)
        this.logger.warn(`Dispatching events failed (will retry): ${String(error)}`);
      next += ERROR_PAUSE_MS;
    } finally {
      this.schedule(next);
    }
  }

  private async anythingToDeliver(): Promise<boolean> {
    const { rows } = await this.db.pool.query<{ any: boolean }>({
      // Named: test/support/query-counter.ts leaves it out of a request's round trips.
      name: 'webhooks-idle-check',
      text: `SELECT EXISTS (SELECT 1 FROM webhook_endpoints)
                 OR EXISTS (SELECT 1 FROM webhook_events WHERE dispatched_at IS NULL) AS any`,
    });
    return rows[0]?.any ?? false;
  }

  private async startWorkers(): Promise<void> {
    if (this.working) return;
    await this.queue.start();
    this.working = true;
    this.pump.start();
  }

  /** A plain app.close() (without GracefulShutdown) stops delivery too, before the pools close. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** No new pass or try; waits for the pass and the tries in hand. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
    await this.pump.stop();
    await this.queue.stop();
  }
}
