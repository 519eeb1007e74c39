import type { FastifyInstance } from 'fastify';
import { isMessageType, MESSAGE_TYPES } from '../../src/protocol/alicom-messages.js';
import type { SimulatorState } from '../state/simulator-state.js';
import { asBody, ControlError, optionalInteger } from './body.js';

/** The message queues: inspect, tune the visibility timeout, inject messages, expire tokens. */
export function registerMnsControlRoutes(app: FastifyInstance, state: SimulatorState): void {
  const queueOf = (type: string) => {
    if (!isMessageType(type)) {
      throw new ControlError(
        404,
        `unknown message type ${type}; one of ${MESSAGE_TYPES.join(', ')}`,
      );
    }
    return state.alicom.byType(type);
  };

  app.get('/_sim/mns/queues', async () => {
    const now = Date.now();
    return MESSAGE_TYPES.map((type) => {
      const queue = state.alicom.byType(type);
      return {
        type,
        name: queue.name,
        ...queue.counts(now),
        sent: queue.sent,
        deleted: queue.deleted,
        visibilityTimeoutMs: queue.visibilityTimeoutMs,
      };
    });
  });

  app.get<{ Params: { type: string } }>('/_sim/mns/queues/:type/messages', async (request) =>
    queueOf(request.params.type).list(),
  );

  app.post<{ Params: { type: string } }>('/_sim/mns/queues/:type', async (request) => {
    const queue = queueOf(request.params.type);
    const ms = optionalInteger(asBody(request.body), 'visibilityTimeoutMs', 1);
    if (ms === undefined) throw new ControlError(400, 'visibilityTimeoutMs is required');
    queue.visibilityTimeoutMs = ms;
    return { name: queue.name, visibilityTimeoutMs: ms };
  });

  /** Enqueues a message as is: `body` is sent verbatim if a string, else as its JSON. */
  app.post<{ Params: { type: string } }>('/_sim/mns/queues/:type/messages', async (request) => {
    const queue = queueOf(request.params.type);
    const body = asBody(request.body).body;
    if (body === undefined) throw new ControlError(400, 'body is required');
    const message = queue.send(typeof body === 'string' ? body : JSON.stringify(body), Date.now());
    return { messageId: message.messageId };
  });

  app.post('/_sim/mns/tokens/expire', async () => ({
    expired: state.tokens.expireAll(Date.now()),
  }));
}
