import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import type { MetricsService } from '../metrics/metrics.service.js';

/**
 * One log line per request (but liveness probes), keyed by the request id every error body and
 * provider log line carries, and its metrics by route template (a URL may hold a phone number:
 * the `url` field is masked by the logger, query values decoded first). Levels: info for every
 * answer the service was designed to give, refusals included (with their `code`); error only
 * for a failure nobody planned. Every error answer is counted by code (axb_http_errors_total).
 */
export function installAccessLog(
  fastify: FastifyInstance,
  log: Pino,
  metrics: MetricsService,
): void {
  // Callback forms: no promise per request.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logResponse(request, reply, log, metrics);
    done();
  });
}

function logResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  log: Pino,
  metrics: MetricsService,
): void {
  const route = request.routeOptions?.url ?? 'unmatched';
  const seconds = reply.elapsedTime / 1000;
  metrics.observeHttp(request.method, route, reply.statusCode, seconds);
  // Liveness probes; and refusals a summary line stands for (a throttled address's attempts).
  if (route === '/health/live' || request.unlogged) return;
  const status = reply.statusCode;
  const answer = request.errorAnswer;
  if (status >= 400) metrics.observeHttpError(request.method, route, status, answer?.code);
  // Below the configured level (the line would be built only to be dropped).
  if (!log.isLevelEnabled(status < 400 || (answer?.expected ?? status < 500) ? 'info' : 'error'))
    return;
  const line = {
    reqId: request.id,
    method: request.method,
    route,
    url: request.url,
    status,
    ...(answer ? { code: answer.code } : {}),
    ms: Math.round(seconds * 1000),
    ...(request.actor ? { actor: request.actor } : {}),
  };
  if (status < 400) log.info(line, 'request completed');
  // A designed refusal (a 503 while the database is away, a 429, a 400…) is an ordinary answer:
  // its line is info (the warn line comes once per code and interval, from the LogThrottle).
  else if (answer?.expected ?? status < 500) log.info(line, 'request refused');
  // Nobody planned this one (the error filter also wrote its stack).
  else log.error(line, 'request failed');
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
