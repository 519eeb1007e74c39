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
    // Liveness probes; and refusals a summary line stands for (a throttled address's attempts).
    if (route === '/health/live' || request.unlogged) return;
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

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set when the request's own access-log line would only repeat a summary logged elsewhere
     * (an address throttled for failed authentications: one line per window, not per attempt).
     */
    unlogged?: boolean;
  }
}
