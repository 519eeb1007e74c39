import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_PATH, serveConsole } from './console-assets.js';
import { ConsoleSessionController } from './console-session.controller.js';

/** The admin console: its sign-in/sign-out routes, and its built files at /console/. */
@Module({ controllers: [ConsoleSessionController] })
export class ConsoleModule implements OnModuleInit {
  private readonly logger = new Logger(ConsoleModule.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (!serveConsole(fastify)) {
      this.logger.warn(`The console is not built (npm run build); ${CONSOLE_PATH} is not served`);
    }
  }
}
