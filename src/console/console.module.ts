import { Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { RouteAccessTable } from '../auth/route-access.js';
import { CONSOLE_PATH, serveConsole } from './console-assets.js';
import { ConsoleSessionController } from './console-session.controller.js';

/** The admin console: its sign-in/sign-out routes, and its built files at /console/. */
@Module({ controllers: [ConsoleSessionController] })
export class ConsoleModule implements OnModuleInit {
  private readonly logger = new Logger(ConsoleModule.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly access: RouteAccessTable,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // The files hold no data (every call the console makes needs its session): open to anyone.
    this.access.addPrefix(CONSOLE_PATH, { public: true, roles: [] });
    if (!serveConsole(fastify)) {
      this.logger.warn(`The console is not built (npm run build); ${CONSOLE_PATH} is not served`);
    }
  }
}
