import { Module } from '@nestjs/common';
import { BlacklistRepository } from './blacklist.repository.js';
import { BlacklistService } from './blacklist.service.js';
import { InventoryController } from './inventory.controller.js';
import { InventoryService } from './inventory.service.js';
import { NumberRegistrationService } from './number-registration.service.js';
import { NumberLocksRepository } from './number-locks.repository.js';
import { NumberLocksService } from './number-locks.service.js';
import { NumberSafetyController } from './number-safety.controller.js';
import { NumbersRepository } from './numbers.repository.js';
import { PoolsRepository } from './pools.repository.js';
import { XClaimService } from './x-claim.service.js';

/**
 * Pools and their middle numbers: buying, registering, releasing, stock, health, locks, the
 * pools' blacklists, and the claim of X for a bind (XClaimService, over the SQL function
 * claim_x()).
 */
@Module({
  controllers: [InventoryController, NumberSafetyController],
  providers: [
    InventoryService,
    NumberLocksService,
    NumberLocksRepository,
    BlacklistService,
    BlacklistRepository,
    NumberRegistrationService,
    PoolsRepository,
    NumbersRepository,
    XClaimService,
  ],
  exports: [InventoryService, PoolsRepository, NumbersRepository, XClaimService],
})
export class InventoryModule {}
