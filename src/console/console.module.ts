import { Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { RouteAccessTable } from '../auth/route-access.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CONSOLE_PATH, mediaOrigins, serveConsole } from './console-assets.js';
import { ConsoleSessionController } from './console-session.controller.js';

/** The admin console: its sign-in/sign-out routes, and its built files at /console/. */
@Module({ controllers: [ConsoleSessionController] })
export class ConsoleModule implements OnModuleInit {
  private readonly logger = new Logger(ConsoleModule.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly access: RouteAccessTable,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // The files hold no data (every call the console makes needs its session): open to anyone.
    this.access.addPrefix(CONSOLE_PATH, { public: true, roles: [] });
    const media = mediaOrigins(this.config.console.mediaOrigins, this.config.provider.endpoint);
    if (!serveConsole(fastify, media)) {
      this.logger.warn(`The console is not built (npm run build); ${CONSOLE_PATH} is not served`);
    }
  }
}
