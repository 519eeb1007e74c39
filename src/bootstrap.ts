import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { AccessHook } from './auth/access.hook.js';
import { CreateBindingDto } from './bindings/dto/create-binding.dto.js';
import { acceptSimpleBindBody } from './bindings/dto/create-binding.fast-path.js';
import type { Clock } from './common/clock/clock.js';
import { ErrorFilter } from './common/filters/error.filter.js';
import { installRequestPolicy, serverOptions } from './common/http/http-limits.js';
import { installDirectRoutes } from './common/http/direct-routes.js';
import { installNoStore } from './common/http/no-store.js';
import { createValidationPipe } from './common/validation/validation-pipe.js';
import type { AppConfig } from './config/app-config.js';
import { installAccessLog } from './logging/access-log.js';
import { AppLogger } from './logging/app-logger.js';
import { LogThrottle } from './logging/log-throttle.js';
import { createPino } from './logging/pino-logger.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupOpenApi } from './openapi/openapi.js';
import { RoutingController } from './routing/routing.controller.js';
import { GracefulShutdown } from './runtime/graceful-shutdown.js';
import type { StopFn } from './runtime/runtime-resources.js';

export interface BootstrapOptions {
  /** Called after the app has shut down: stops what main.ts started (embedded Postgres, simulator). */
  stops?: StopFn[];
  /** Replaces the system clock (tests). */
  clock?: Clock;
  /** Modules added beside the product's (the routing benchmark's baseline route). */
  extraModules?: AppModuleOptions['extraModules'];
  /** The logger main.ts already uses; else one is made from the config. */
  logger?: AppLogger;
  /** Where the logs go (default stdout; LOG_FORMAT decides their form); tests capture them. */
  logStream?: DestinationStream;
}

/**
 * Builds the application with its whole global pipeline. The entry point and every e2e test call
 * this, so tests exercise exactly what production runs. The caller decides where to listen.
 *
 * Per request, in order: limits Node enforces (431, 408) → URL length (414) → access (401/403/429,
 * before the body is read) → the JSON body policy (415, 413, 400) → validation (400) → handler;
 * every error in one shape with `code` and `requestId`, every request one log line.
 */
export async function bootstrap(
  config: AppConfig,
  options: BootstrapOptions = {},
): Promise<NestFastifyApplication> {
  const logger =
    options.logger ??
    new AppLogger(
      createPino(config.logLevel, { destination: options.logStream, format: config.logFormat }),
    );
  const adapter = new FastifyAdapter(serverOptions(config.http, logger.pino));
  const fastify = adapter.getInstance();

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, {
      stops: options.stops,
      clock: options.clock,
      extraModules: options.extraModules,
    }),
    adapter,
    { logger, bodyParser: false },
  );
  installDirectRoutes(fastify, [app.get(RoutingController).direct]);
  installAccessLog(fastify, logger.pino, app.get(MetricsService));
  installRequestPolicy(fastify, config.http);
  installNoStore(fastify);
  app.get(AccessHook).install(fastify);
  setupOpenApi(app);
  // (the bind path's bodies checked by hand first: see acceptSimpleBindBody)
  app.useGlobalPipes(createValidationPipe(new Map([[CreateBindingDto, acceptSimpleBindBody]])));
  app.useGlobalFilters(new ErrorFilter(app.get(LogThrottle)));
  // Shutdown is GracefulShutdown's sequence (main.ts runs it on SIGTERM/SIGINT), not Nest's
  // shutdown hooks, which would close the database pool before the listener.
  app.get(GracefulShutdown).attach(app);
  return app;
}
