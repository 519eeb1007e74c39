import { Module } from '@nestjs/common';
import { WebhookBatchSettler } from './webhook-batch-settler.js';
import { WebhookDatabase } from './webhook-database.js';
import { WebhookBatchDelivery } from './webhook-delivery.batch.js';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository.js';
import { WebhookDeliveryPump } from './webhook-delivery.pump.js';
import { WebhookDeliveryRunner } from './webhook-delivery.runner.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WebhookOutboxRepository } from './webhook-outbox.repository.js';
import { WebhookQueue } from './webhook-queue.js';
import { WebhookRetentionJob } from './webhook-retention.job.js';
import { WebhookRetentionRepository } from './webhook-retention.repository.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookSettler } from './webhook-settler.js';
import { WebhooksController } from './webhooks.controller.js';

/**
 * Events to subscribers (Standard Webhooks): the outbox is written by triggers
 * (prisma/sql/080_webhook_outbox.sql); this module dispatches it, delivers with retries on
 * pg-boss, and answers the admin API.
 */
@Module({
  controllers: [WebhooksController],
  providers: [
    WebhookDatabase,
    WebhookQueue,
    WebhookSender,
    WebhookOutboxRepository,
    WebhookDeliveriesRepository,
    WebhookDeliveryWorker,
    WebhookSettler,
    WebhookBatchSettler,
    WebhookBatchDelivery,
    WebhookDeliveryPump,
    WebhookDeliveryRunner,
    WebhookEndpointsService,
    WebhookRetentionRepository,
    WebhookRetentionJob,
  ],
  exports: [WebhookDeliveryRunner, WebhookRetentionJob],
})
export class WebhooksModule {}
