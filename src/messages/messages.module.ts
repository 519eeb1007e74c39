import { Module } from '@nestjs/common';
import { ProviderCallbacksModule } from '../routing/callbacks/provider-callbacks.module.js';
import { MessageConsumerService } from './message-consumer.service.js';
import { MessageMetrics } from './message-metrics.js';

/** The provider's message queues (MNS), handed to the same handlers as HTTP pushes. */
@Module({
  imports: [ProviderCallbacksModule],
  providers: [MessageConsumerService, MessageMetrics],
  exports: [MessageConsumerService],
})
export class MessagesModule {}
