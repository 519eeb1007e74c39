import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { BindService } from './bind.service.js';
import { BindingChangesService } from './binding-changes.service.js';
import { BindingExpiryRepository } from './binding-expiry.repository.js';
import { BindingQueriesService } from './binding-queries.service.js';
import { BindingSearchRepository } from './binding-search.repository.js';
import { BindingsController } from './bindings.controller.js';
import { BindingsRepository } from './bindings.repository.js';
import { PhoneSearchLimit } from './phone-search.limit.js';
import { PlacementRepository } from './placement.repository.js';
import { SettlementRepository } from './settlement.repository.js';
import { UnbindService } from './unbind.service.js';
import { UnbindingRepository } from './unbinding.repository.js';

/**
 * Bind, change, unbind and the history of bindings. Exports what the features above it share:
 * the Prisma repository (events, transitions), the one expire operation, and unbinding (which
 * reconciliation finishes).
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
    PlacementRepository,
    SettlementRepository,
    UnbindService,
    UnbindingRepository,
  ],
  exports: [BindingsRepository, BindingExpiryRepository, UnbindService],
})
export class BindingsModule {}
