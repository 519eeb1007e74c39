import { Global, Module } from '@nestjs/common';
import { PROVIDER_CALL_OBSERVER } from '../provider/provider-call.observer.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, { provide: PROVIDER_CALL_OBSERVER, useExisting: MetricsService }],
  exports: [MetricsService, PROVIDER_CALL_OBSERVER],
})
export class MetricsModule {}
