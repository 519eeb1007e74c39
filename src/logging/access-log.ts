import type { FastifyInstance } from 'fastify';
import type { Logger as Pino } from 'pino';
import type { MetricsService } from '../metrics/metrics.service.js';

/**
 * One log line per request (but liveness probes), keyed by the request id every error body and
 * provider log line carries, and its metrics by route template (a URL may hold a phone number:
 * the `url` field is masked by the logger, query values decoded first).
 */
export function installAccessLog(
  fastify: FastifyInstance,
  log: Pino,
  metrics: MetricsService,
): void {
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.observeHttp(request.method, route, reply.statusCode, seconds);
    if (route === '/health/live') return;
    const line = {
      reqId: request.id,
      method: request.method,
      route,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(seconds * 1000),
      ...(request.actor ? { actor: request.actor } : {}),
    };
    if (reply.statusCode >= 500) log.error(line, 'request failed');
    else if (reply.statusCode >= 400) log.warn(line, 'request refused');
    else log.info(line, 'request completed');
  });
}
