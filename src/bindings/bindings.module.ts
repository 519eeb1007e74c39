import { Module } from '@nestjs/common';
import { InventoryModule } from '../inventory/inventory.module.js';
import { BindService } from './bind.service.js';
import { BindingChangesService } from './binding-changes.service.js';
import { BindingSearchRepository } from './binding-search.repository.js';
import { BindingsController } from './bindings.controller.js';
import { BindingsRepository } from './bindings.repository.js';

@Module({
  imports: [InventoryModule],
  controllers: [BindingsController],
  providers: [BindService, BindingChangesService, BindingsRepository, BindingSearchRepository],
  exports: [BindingsRepository],
})
export class BindingsModule {}
