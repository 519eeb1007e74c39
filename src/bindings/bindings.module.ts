import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { BindService } from './bind.service.js';
import { BindingChangesService } from './binding-changes.service.js';
import { BindingExpiryRepository } from './binding-expiry.repository.js';
import { BindingQueriesService } from './binding-queries.service.js';
import { BindingSearchRepository } from './binding-search.repository.js';
import { BindingsController } from './bindings.controller.js';
import { BindingsRepository } from './bindings.repository.js';
import { OrderAnswerAccess } from './order-answer-access.js';
import { PhoneSearchLimit } from './phone-search.limit.js';
import { ContactWindowsRepository } from './contact-windows.repository.js';
import { EndTripService } from './end-trip.service.js';
import { SubscriptionUpdater } from './subscription-updater.js';
import { PlacementRepository } from './placement.repository.js';
import { SettlementRepository } from './settlement.repository.js';
import { UnbindService } from './unbind.service.js';
import { UnbindingRepository } from './unbinding.repository.js';

/**
 * Bind, change, end trips, unbind and the history of bindings. Exports what the features above
 * it share: the Prisma repository (events, transitions), the one expire operation, unbinding
 * (which reconciliation finishes) and the trips' contact windows (the scheduler closes them).
 */
@Module({
  imports: [InventoryModule],
  controllers: [BindingsController],
  providers: [
    BindService,
    BindingChangesService,
    BindingQueriesService,
    BindingsRepository,
    BindingSearchRepository,
    BindingExpiryRepository,
    PhoneSearchLimit,
    OrderAnswerAccess,
    ContactWindowsRepository,
    EndTripService,
    SubscriptionUpdater,
    PlacementRepository,
    SettlementRepository,
    UnbindService,
    UnbindingRepository,
  ],
  exports: [BindingsRepository, BindingExpiryRepository, UnbindService, EndTripService],
})
export class BindingsModule {}
