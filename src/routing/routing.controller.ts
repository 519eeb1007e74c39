import { BadRequestException, Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RouteLookupDto } from './dto/route-lookup.dto.js';
import type { RouteAnswer } from './route-answer.js';
import { RoutingService, type BindingRef } from './routing.service.js';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';

function invalid(field: string, problem: string): BadRequestException {
  return new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: `Invalid ${field}: ${problem}`,
    fields: [{ field, problems: [problem] }],
  });
}

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
   */
  @Post('lookup')
  @HttpCode(200)
  lookup(@Body() dto: RouteLookupDto, @CallContext() ctx: RequestContext): Promise<RouteAnswer> {
    return this.routing.lookup(this.bindingRef(dto), dto.callerNo, ctx);
  }

  private bindingRef(dto: RouteLookupDto): BindingRef {
    if (dto.bindingId !== undefined && dto.outId !== undefined) {
      throw invalid('bindingId', 'give either bindingId or outId, not both');
    }
    if (dto.bindingId !== undefined) {
      if (dto.poolKey !== undefined) throw invalid('poolKey', 'only with outId');
      return { bindingId: dto.bindingId };
    }
    if (dto.outId === undefined) throw invalid('outId', 'bindingId or outId is required');
    return { poolKey: dto.poolKey ?? this.config.pools.defaultPoolKey, outId: dto.outId };
  }
}
