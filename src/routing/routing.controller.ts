import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import {
  parseRouteLookup,
  ROUTE_LOOKUP_SCHEMA,
  type RouteLookupBody,
} from './dto/route-lookup.parser.js';
import type { RouteAnswer } from './route-answer.js';
import { RoutingService } from './routing.service.js';

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
   */
  @Post('lookup')
  @HttpCode(200)
  @ApiBody({ schema: ROUTE_LOOKUP_SCHEMA })
  lookup(@Body() body: RouteLookupBody, @CallContext() ctx: RequestContext): Promise<RouteAnswer> {
    const { ref, callerNo } = parseRouteLookup(body, this.config.pools.defaultPoolKey);
    return this.routing.lookup(ref, callerNo, ctx);
  }
}
