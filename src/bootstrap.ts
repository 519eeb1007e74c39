import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type AppModuleOptions } from './app.module.js';
import type { Clock } from './common/clock/clock.js';
import type { AppConfig } from './config/app-config.js';
import { ErrorFilter } from './common/filters/error.filter.js';
import { createValidationPipe } from './common/validation/validation-pipe.js';
import type { StopFn } from './runtime/runtime-resources.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function logLevels(level: AppConfig['logLevel']): LogLevel[] {
  const wanted = level === 'info' ? 'log' : level;
  return LEVELS.slice(0, LEVELS.indexOf(wanted) + 1);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BootstrapOptions {
  /** Called after the app has shut down: stops what main.ts started (embedded Postgres, simulator). */
  stops?: StopFn[];
  /** Replaces the system clock (tests). */
  clock?: Clock;
  /** Modules added beside the product's (the routing benchmark's baseline route). */
  extraModules?: AppModuleOptions['extraModules'];
  /** Tests pass false to keep their output quiet; defaults to the configured log level. */
  logger?: false | LogLevel[];
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
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 256 * 1024,
  });
  adapter.getInstance().addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  const levels = options.logger ?? logLevels(config.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, {
      stops: options.stops,
      clock: options.clock,
      extraModules: options.extraModules,
    }),
    adapter,
    {
      logger:
        levels === false
          ? false
          : new ConsoleLogger({ json: config.env === 'production', logLevels: levels }),
      bufferLogs: false,
    },
  );
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
