import { Module } from '@nestjs/common';
import { BindingsModule } from '../bindings/bindings.module.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { CallRecordsRepository } from './callbacks/call-records.repository.js';
import { CallRecordsService } from './callbacks/call-records.service.js';
import { NumberHealthService } from './callbacks/number-health.service.js';
import { ProviderCallbacksController } from './callbacks/provider-callbacks.controller.js';
import { CallStatusGateway } from './call-status.gateway.js';
import { RoutedEventsWriter } from './routed-events.writer.js';
import { RoutingTargetRepository } from './routing-target.repository.js';
import { RoutingController } from './routing.controller.js';
import { RoutingService } from './routing.service.js';

/** Call-time routing lookups, and the provider's call-record and number-health pushes. */
@Module({
  imports: [BindingsModule, InventoryModule],
  controllers: [RoutingController, ProviderCallbacksController],
  providers: [
    RoutingService,
    RoutingTargetRepository,
    CallStatusGateway,
    RoutedEventsWriter,
    CallRecordsRepository,
    CallRecordsService,
    NumberHealthService,
  ],
  exports: [RoutingService, RoutedEventsWriter, CallStatusGateway],
})
export class RoutingModule {}
