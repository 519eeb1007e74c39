import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { JobRunner } from './job-runner.js';
import { SCHEDULED_JOBS, jobIntervalMs, type ScheduledJob } from './scheduled-job.js';

/**
 * Puts each enabled job on its configured interval in @nestjs/schedule's registry. A disabled
 * job (scheduler off, or interval 0) is not registered at all; tests call the jobs directly.
 */
@Injectable()
export class JobRegistration implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobRegistration.name);
  private readonly registered: string[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SCHEDULED_JOBS) private readonly jobs: ScheduledJob[],
    private readonly registry: SchedulerRegistry,
    private readonly runner: JobRunner,
  ) {}

  onApplicationBootstrap(): void {
    const { scheduler } = this.config;
    const on: string[] = [];
    for (const job of this.jobs) {
      const every = jobIntervalMs(this.config, job.name);
      if (!scheduler.enabled || every <= 0) continue;
      const name = `scheduler.${job.name}`;
      const timer = setInterval(() => void this.runner.run(job), every);
      this.registry.addInterval(name, timer);
      this.registered.push(name);
      on.push(`${job.name} every ${every} ms`);
    }
    this.logger.log(on.length ? `Scheduled jobs: ${on.join(', ')}` : 'No scheduled jobs enabled');
  }

  /**
   * Stops the timers, then stops and waits for passes under way, before the database pool
   * closes. GracefulShutdown calls it early; Nest's shutdown hook again (then it does nothing).
   */
  async stop(): Promise<void> {
    for (const name of this.registered.splice(0)) {
      // The schedule module clears its registry on shutdown too; whoever is first wins.
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    await this.runner.drain();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
