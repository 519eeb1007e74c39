import { Module } from '@nestjs/common';
import { BindingsModule } from '../bindings/bindings.module.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CallStatusGateway } from './call-status.gateway.js';
import { RouteCache } from './route-cache.js';
import { RouteCacheListener } from './route-cache.listener.js';
import { RefreshQueue } from './refresh-queue.js';
import { RoutedCountsWriter } from './routed-counts.writer.js';
import { RoutingAccessWriter } from './routing-access.writer.js';
import { RoutingTargetRepository } from './routing-target.repository.js';
import { RoutingController } from './routing.controller.js';
import { RoutingService } from './routing.service.js';

/** Call-time routing lookups (provider reports: callbacks/provider-callbacks.module.ts). */
@Module({
  imports: [BindingsModule, InventoryModule],
  controllers: [RoutingController],
  providers: [
    {
      provide: RouteCache,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new RouteCache(config.routing.cacheTtlMs, config.routing.cacheMaxEntries),
    },
    { provide: RefreshQueue, useFactory: () => new RefreshQueue() },
    RouteCacheListener,
    RoutingService,
    RoutingTargetRepository,
    CallStatusGateway,
    RoutedCountsWriter,
    RoutingAccessWriter,
  ],
  exports: [RoutingService, RoutedCountsWriter, RoutingAccessWriter, CallStatusGateway],
})
export class RoutingModule {}
