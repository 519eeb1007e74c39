import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Roles } from '../auth/roles.js';
import {
  CallContext,
  requestContextOf,
  type RequestContext,
} from '../common/http/call-context.decorator.js';
import type { DirectRoute } from '../common/http/direct-routes.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import {
  parseRouteLookup,
  ROUTE_LOOKUP_SCHEMA,
  type RouteLookupBody,
} from './dto/route-lookup.parser.js';
import { answerBody, type RouteAnswer } from './route-answer.js';
import { RoutingService } from './routing.service.js';

const JSON_UTF8 = 'application/json; charset=utf-8';

@ApiTags('routing')
@Roles('routing')
@ApiErrors(400, 403)
@Controller('v1/routing')
export class RoutingController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly routing: RoutingService,
  ) {}

  /**
   * 200 with what to dial (or that there is no route: status 4); 403 ROUTE_FORBIDDEN, the same for
   * every refusal, when the caller is not a party of a live binding or the binding is unknown.
   * The body is typed by an interface, so the global ValidationPipe passes it through untouched
   * and parseRouteLookup checks it (the hot path: see there).
   *
   * Declared here (access rule, API document); answered by `direct` (see direct-routes.ts).
   */
  @Post('lookup')
  @HttpCode(200)
  @ApiBody({ schema: ROUTE_LOOKUP_SCHEMA })
  lookup(@Body() body: RouteLookupBody, @CallContext() ctx: RequestContext): Promise<RouteAnswer> {
    const { ref, callerNo } = parseRouteLookup(body, this.config.pools.defaultPoolKey);
    return this.routing.lookup(ref, callerNo, ctx);
  }

  /**
   * The lookup as Fastify answers it: a lookup the cache answers outright is sent at once (no
   * promise, its body text made once per cached binding); any other goes the whole way.
   */
  readonly direct: DirectRoute = {
    method: 'POST',
    url: '/v1/routing/lookup',
    handler: (request: FastifyRequest, reply: FastifyReply) => {
      const { ref, callerNo } = parseRouteLookup(request.body, this.config.pools.defaultPoolKey);
      const ctx = requestContextOf(request);
      const cached = this.routing.lookupCached(ref, callerNo, ctx);
      if (cached) {
        void json(reply).send(answerBody(cached));
        return undefined;
      }
      // Fastify sends what the promise gives (errors go to the error handler).
      return this.routing.lookup(ref, callerNo, ctx).then((answer) => {
        json(reply);
        return answerBody(answer);
      });
    },
  };
}

/** 200 (as @HttpCode), a JSON body given as its text. */
function json(reply: FastifyReply): FastifyReply {
  return reply.code(200).header('content-type', JSON_UTF8);
}
