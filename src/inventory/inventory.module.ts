import { Module } from '@nestjs/common';
import { InventoryController } from './inventory.controller.js';
import { InventoryService } from './inventory.service.js';
import { NumberCandidatesRepository } from './number-candidates.repository.js';
import { NumbersRepository } from './numbers.repository.js';
import { PoolsRepository } from './pools.repository.js';

@Module({
  controllers: [InventoryController],
  providers: [InventoryService, PoolsRepository, NumbersRepository, NumberCandidatesRepository],
  exports: [InventoryService, PoolsRepository, NumbersRepository, NumberCandidatesRepository],
})
export class InventoryModule {}
