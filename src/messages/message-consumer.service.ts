import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DybaseapiClient } from '../provider/dybaseapi/dybaseapi.client.js';
import {
  PROVIDER_CALL_OBSERVER,
  type ProviderCallObserver,
} from '../provider/provider-call.observer.js';
import { ProviderReportsService } from '../routing/callbacks/provider-reports.service.js';
import { ReportDeadLetters } from '../routing/callbacks/report-dead-letters.js';
import { MessageMetrics } from './message-metrics.js';
import { MnsQueueClient } from './mns-queue.client.js';
import { QueueCredentials } from './queue-credentials.js';
import { QueuePoller } from './queue-poller.js';

/**
 * Consumes the provider's message queues (MNS) when MNS_ACCOUNT_UID is set: MNS_CONSUMERS_PER_TYPE
 * long polls per configured message type, started once the application is up, stopped (polls
 * aborted, messages in hand finished) when it shuts down. Several instances may consume the same
 * queues: MNS hands each message to one of them at a time, and the handlers are idempotent.
 */
@Injectable()
export class MessageConsumerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MessageConsumerService.name);
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private client: MnsQueueClient | undefined;
  private dybaseapi: DybaseapiClient | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reports: ProviderReportsService,
    private readonly deadLetters: ReportDeadLetters,
    private readonly metrics: MessageMetrics,
    private readonly clock: Clock,
    @Optional() @Inject(PROVIDER_CALL_OBSERVER) private readonly observer?: ProviderCallObserver,
  ) {}

  get enabled(): boolean {
    return Boolean(this.config.messages.accountUid) && this.config.messages.types.length > 0;
  }

  onApplicationBootstrap(): void {
    const settings = this.config.messages;
    const accountUid = settings.accountUid;
    if (!this.enabled || !accountUid) {
      this.logger.log('Message consumer off (MNS_ACCOUNT_UID is not set)');
      return;
    }
    const { provider } = this.config;
    this.dybaseapi = new DybaseapiClient({
      endpoint: settings.dybaseapiEndpoint,
      accessKeyId: provider.accessKeyId,
      accessKeySecret: provider.accessKeySecret,
      regionId: provider.regionId,
      timeoutMs: provider.timeoutMs,
      signature: provider.signature,
      observer: this.observer,
    });
    const pollers = settings.types.length * settings.consumersPerType;
    this.client = new MnsQueueClient(settings.mnsEndpoint, provider.timeoutMs, pollers + 2);
    const credentials = new QueueCredentials(this.dybaseapi, accountUid, settings.tokenRefreshMs);
    const deps = {
      client: this.client,
      credentials,
      reports: this.reports,
      deadLetters: this.deadLetters,
      metrics: this.metrics,
      logger: this.logger,
      now: () => this.clock.now(),
    };
    const loops = settings.types.flatMap((type) =>
      Array.from({ length: settings.consumersPerType }, () =>
        new QueuePoller(type, { ...settings, accountUid }, deps).run(this.stopping.signal),
      ),
    );
    this.running = Promise.all(loops).then(() => undefined);
    this.logger.log(
      `Consuming ${settings.types.join(', ')} from ${settings.mnsEndpoint} ` +
        `(${settings.consumersPerType} poll(s) per queue)`,
    );
  }

  /**
   * Aborts the long polls, lets messages in hand finish (their handlers need the database, which
   * closes later), closes the connections. GracefulShutdown calls it before the database and the
   * provider client close; Nest's destroy hook again (the same promise).
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping.abort();
      await this.running;
      await this.client?.close();
      await this.dybaseapi?.close();
    })();
    return this.stopped;
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }
}
