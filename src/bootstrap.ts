import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupOpenApi } from './openapi/openapi.js';
import type { Clock } from './common/clock/clock.js';
import type { AppConfig } from './config/app-config.js';
import { ErrorFilter } from './common/filters/error.filter.js';
import { createValidationPipe } from './common/validation/validation-pipe.js';
import type { StopFn } from './runtime/runtime-resources.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BootstrapOptions {
  /** Called after the app has shut down: stops what main.ts started (embedded Postgres, simulator). */
  stops?: StopFn[];
  /** Replaces the system clock (tests). */
  clock?: Clock;
  /** Modules added beside the product's (the routing benchmark's baseline route). */
  extraModules?: AppModuleOptions['extraModules'];
  /** Where the JSON logs go (default stdout); tests capture them to scan for phone numbers. */
  logStream?: DestinationStream;
}

/**
 * Builds the application with its whole global pipeline. The entry point and every e2e test call
 * this, so tests exercise exactly what production runs. The caller decides where to listen.
 */
export async function bootstrap(
  config: AppConfig,
  options: BootstrapOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    // Honour a caller's request id (e.g. from a gateway) so one id follows a request everywhere.
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      // pino-http reads it from the raw request, so log lines and error bodies share one id.
      (req as IncomingMessage & { id?: string }).id = id;
      return id;
    },
    bodyLimit: 256 * 1024,
  });
  const fastify = adapter.getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, {
      stops: options.stops,
      clock: options.clock,
      extraModules: options.extraModules,
      logStream: options.logStream,
    }),
    adapter,
    { bufferLogs: true },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    // Route templates only in metrics (a URL may hold a phone number); unmatched → "unmatched".
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.observeHttp(request.method, route, reply.statusCode, seconds);
    if (route === '/health/live') return;
    // One line per request, keyed by the request id every error body and provider log carries.
    const line = {
      reqId: request.id,
      method: request.method,
      route,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(seconds * 1000),
    };
    if (reply.statusCode >= 500) logger.error(line, 'request failed');
    else if (reply.statusCode >= 400) logger.warn(line, 'request refused');
    else logger.log(line, 'request completed');
  });
  setupOpenApi(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
