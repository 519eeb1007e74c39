import { Injectable } from '@nestjs/common';
import { ApiKeysRepository } from '../auth/api-keys.repository.js';
import { Clock } from '../common/clock/clock.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';

/** The routes of the order service whose answers carry a binding's A and B in full. */
export type OrderAnswerRoute =
  'PATCH /v1/bindings/:id' | 'DELETE /v1/bindings/:id' | 'POST /v1/bindings/:id/end-trip';

/**
 * Every answer that carries full numbers is recorded in access_log (issue 27), like an admin's
 * read: who, which binding, the request id. Written before the answer is sent; an answer that
 * could not be recorded is not sent (the change stands: the same request again answers it).
 * A bind's own answer is not recorded here: it holds only the numbers its request carried (a
 * replay with other parties is a 409), and the bind is recorded by its `created` event.
 */
@Injectable()
export class OrderAnswerAccess {
  constructor(
    private readonly clock: Clock,
    private readonly access: ApiKeysRepository,
  ) {}

  record(route: OrderAnswerRoute, bindingId: string, context: RequestContext): Promise<void> {
    return this.access.recordAccess(
      context.actor,
      route,
      [bindingId],
      context.requestId,
      this.clock.now(),
    );
  }
}
