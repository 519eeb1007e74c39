import { Module } from '@nestjs/common';
import { InventoryController } from './inventory.controller.js';
import { InventoryService } from './inventory.service.js';
import { NumberRegistrationService } from './number-registration.service.js';
import { NumbersRepository } from './numbers.repository.js';
import { PoolsRepository } from './pools.repository.js';
import { XClaimService } from './x-claim.service.js';

/**
 * Pools and their middle numbers: buying, registering, releasing, stock, health, and the claim of
 * X for a bind (XClaimService, over the SQL function claim_x()).
 */
@Module({
  controllers: [InventoryController],
  providers: [
    InventoryService,
    NumberRegistrationService,
    PoolsRepository,
    NumbersRepository,
    XClaimService,
  ],
  exports: [InventoryService, PoolsRepository, NumbersRepository, XClaimService],
})
export class InventoryModule {}
