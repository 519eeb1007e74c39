import { Module } from '@nestjs/common';
import { BindingsModule } from '../bindings/bindings.module.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { CallStatusGateway } from './call-status.gateway.js';
import { RoutedEventsWriter } from './routed-events.writer.js';
import { RoutingTargetRepository } from './routing-target.repository.js';
import { RoutingController } from './routing.controller.js';
import { RoutingService } from './routing.service.js';

/** Call-time routing lookups (provider reports: callbacks/provider-callbacks.module.ts). */
@Module({
  imports: [BindingsModule, InventoryModule],
  controllers: [RoutingController],
  providers: [RoutingService, RoutingTargetRepository, CallStatusGateway, RoutedEventsWriter],
  exports: [RoutingService, RoutedEventsWriter, CallStatusGateway],
})
export class RoutingModule {}
