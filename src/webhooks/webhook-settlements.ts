import type { Logger } from '@nestjs/common';
import type { Runner, WebhookDeliveriesRepository } from './webhook-deliveries.repository.js';
import type { Settlement } from './webhook-delivery.worker.js';

/**
 * Writes what tries left: the tries recorded, the deliveries marked dead without a try (their
 * endpoint was disabled), the endpoints that answered 410 Gone disabled. On `runner` (a
 * transaction's client: a batch job's) or the pool (the settler's group commit).
 */
export async function writeSettlements(
  deliveries: WebhookDeliveriesRepository,
  settled: readonly Settlement[],
  now: Date,
  runner?: Runner,
): Promise<void> {
  await deliveries.recordTries(
    settled.flatMap((s) => (s.record ? [s.record] : [])),
    runner,
  );
  await deliveries.markDead(
    settled.flatMap((s) => (s.deadWithoutTry ? [s.deadWithoutTry] : [])),
    now,
    'endpoint disabled',
    runner,
  );
  for (const endpointId of new Set(settled.flatMap((s) => s.disableEndpoint ?? []))) {
    await deliveries.disableGone(endpointId, now, runner);
  }
}

/** Says what written settlements decided: endpoints disabled, deliveries dead after their last try. */
export function logSettlements(logger: Logger, settled: readonly Settlement[]): void {
  for (const endpointId of new Set(settled.flatMap((s) => s.disableEndpoint ?? [])))
    logger.warn(`Endpoint ${endpointId} answered 410 Gone: disabled`);
  for (const s of settled)
    if (s.record?.status === 'dead' && !s.disableEndpoint)
      logger.warn(`Delivery ${s.record.deliveryId} is dead after its last try`);
}
