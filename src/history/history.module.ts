import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ErasureService } from './erasure.service.js';
import { ErasuresController } from './erasures.controller.js';
import { HistoryPartitionsRepository } from './history-partitions.repository.js';
import { PhoneAgingRepository } from './phone-aging.repository.js';

/** The record's life after the trip: month partitions, privacy aging, erasure on request. */
@Module({
  imports: [AuthModule],
  controllers: [ErasuresController],
  providers: [HistoryPartitionsRepository, PhoneAgingRepository, ErasureService],
  exports: [HistoryPartitionsRepository, PhoneAgingRepository],
})
export class HistoryModule {}
