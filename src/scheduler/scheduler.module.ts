import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BindingsModule } from '../bindings/bindings.module.js';
import { ContactWindowJob } from './contact-window.job.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { ExpirySweepJob } from './expiry-sweep.job.js';
import { JobRegistration } from './job-registration.js';
import { JobRunner } from './job-runner.js';
import { JobsController } from './jobs.controller.js';
import { ReconciliationJob } from './reconciliation.job.js';
import { ReconciliationMetrics } from './reconciliation.metrics.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { ReplenishmentJob } from './replenishment.job.js';
import { SCHEDULED_JOBS } from './scheduled-job.js';
import { SchedulerLockRepository } from './scheduler-lock.repository.js';
import { HistoryJob } from './history.job.js';
import { PrivacyAgingJob } from './privacy-aging.job.js';
import { HistoryModule } from '../history/history.module.js';
import { WebhookRetentionJob } from '../webhooks/webhook-retention.job.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';

/**
 * The periodic jobs: expiry sweep, reconciliation of open bind outcomes, the closing of trips'
 * contact windows, pool replenishment.
 */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    BindingsModule,
    InventoryModule,
    HistoryModule,
    WebhooksModule,
  ],
  controllers: [JobsController],
  providers: [
    ExpirySweepJob,
    ReconciliationJob,
    ContactWindowJob,
    ReplenishmentJob,
    HistoryJob,
    PrivacyAgingJob,
    ReconciliationRepository,
    ReconciliationMetrics,
    SchedulerLockRepository,
    JobRunner,
    JobRegistration,
    {
      provide: SCHEDULED_JOBS,
      inject: [
        ExpirySweepJob,
        ReconciliationJob,
        ContactWindowJob,
        ReplenishmentJob,
        HistoryJob,
        PrivacyAgingJob,
        WebhookRetentionJob,
      ],
      useFactory: (...jobs: unknown[]) => jobs,
    },
  ],
  exports: [
    ExpirySweepJob,
    ReconciliationJob,
    ContactWindowJob,
    ReplenishmentJob,
    HistoryJob,
    PrivacyAgingJob,
    JobRunner,
    ReconciliationRepository,
  ],
})
export class SchedulerModule {}
