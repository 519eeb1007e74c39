import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/** Where the provider pushes (the controller's prefix). */
export const CALLBACK_PATH_PREFIX = '/v1/callbacks/';

/**
 * Provider pushes are batches (Alibaba sends thousands of records in one POST), far larger than
 * any API request: their routes get CALLBACK_BODY_LIMIT_BYTES instead of the API's body limit.
 * A route's own limit wins over the content-type parser's, so this holds whatever parser the
 * bootstrap installs. Runs when the module is built, before Nest registers the routes.
 */
@Injectable()
export class CallbackBodyLimit {
  constructor(adapterHost: HttpAdapterHost, @Inject(APP_CONFIG) config: AppConfig) {
    const fastify = adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('onRoute', (route) => {
      if (route.url.startsWith(CALLBACK_PATH_PREFIX)) {
        route.bodyLimit = config.callbacks.bodyLimitBytes;
      }
    });
  }
}
