import { ConflictError } from '../common/errors/domain-error.js';

/** Only a dead delivery can be replayed (a pending one is still being tried). */
export class WebhookDeliveryNotDeadError extends ConflictError {
  constructor(id: string, status: string) {
    super('WEBHOOK_DELIVERY_NOT_DEAD', `Delivery ${id} is ${status}: only a dead one is replayed`, {
      id,
      status,
    });
  }
}
