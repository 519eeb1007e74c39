import { Module } from '@nestjs/common';
import { CallsModule } from '../../calls/calls.module.js';
import { InventoryModule } from '../../inventory/inventory.module.js';
import { RoutingModule } from '../routing.module.js';
import { CallActivityRepository } from './call-activity.repository.js';
import { CallbackBodyLimit } from './callback-body-limit.js';
import { CallActivityService } from './call-activity.service.js';
import { CallRecordsRepository } from './call-records.repository.js';
import { CallRecordsService } from './call-records.service.js';
import { DeadLettersRepository } from './dead-letters.repository.js';
import { NumberHealthService } from './number-health.service.js';
import { ProviderCallbacksController } from './provider-callbacks.controller.js';
import { ProviderReportsService } from './provider-reports.service.js';
import { ReportDeadLetters } from './report-dead-letters.js';

/**
 * Provider reports: call records, number health, recordings and call progress, whether pushed
 * over HTTP (the controller) or taken from the message queues (src/messages, through the
 * exported ProviderReportsService).
 */
@Module({
  imports: [InventoryModule, RoutingModule, CallsModule],
  controllers: [ProviderCallbacksController],
  providers: [
    CallbackBodyLimit,
    ProviderReportsService,
    CallRecordsService,
    CallRecordsRepository,
    NumberHealthService,
    CallActivityService,
    CallActivityRepository,
    DeadLettersRepository,
    ReportDeadLetters,
  ],
  exports: [ProviderReportsService, ReportDeadLetters],
})
export class ProviderCallbacksModule {}
