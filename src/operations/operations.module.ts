import { Module } from '@nestjs/common';
import { RoutingModule } from '../routing/routing.module.js';
import { SchedulerModule } from '../scheduler/scheduler.module.js';
import { OperationsController } from './operations.controller.js';
import { OperationsService } from './operations.service.js';

/** GET /v1/admin/operations: scheduler runs, reconciliation backlog, provider circuit. */
@Module({
  imports: [SchedulerModule, RoutingModule],
  controllers: [OperationsController],
  providers: [OperationsService],
})
export class OperationsModule {}
