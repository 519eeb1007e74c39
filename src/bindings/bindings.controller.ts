import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles } from '../auth/roles.js';
import { Clock } from '../common/clock/clock.js';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { BindService } from './bind.service.js';
import { BindingChangesService } from './binding-changes.service.js';
import {
  BindingQueriesService,
  type BindingDetail,
  type BindingPage,
} from './binding-queries.service.js';
import {
  BindingPageView,
  BindingView,
  BindingWithEventsView,
  toBindingView,
} from './binding.view.js';
import { CreateBindingDto } from './dto/create-binding.dto.js';
import { BindingReadQuery, SearchBindingsQuery } from './dto/search-bindings.query.js';
import { EndTripDto } from './dto/end-trip.dto.js';
import { UpdateBindingDto } from './dto/update-binding.dto.js';
import { EndTripService } from './end-trip.service.js';
import { UnbindService } from './unbind.service.js';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => validationFailed('id', 'must be a UUID'),
});

/** HTTP only: each route hands its validated input to one service call and maps the result. */
@ApiTags('bindings')
@Controller('v1/bindings')
export class BindingsController {
  constructor(
    private readonly clock: Clock,
    private readonly binder: BindService,
    private readonly changes: BindingChangesService,
    private readonly queries: BindingQueriesService,
    private readonly unbinder: UnbindService,
    private readonly trips: EndTripService,
  ) {}

  /** 201 with a new binding; 200 with the existing one when the order was already bound. */
  @Post()
  @Roles('order')
  @ApiCreatedResponse({ type: BindingView, description: 'Bound' })
  @ApiOkResponse({ type: BindingView, description: 'Replay of an already bound order' })
  @ApiErrors(400, 404, 409, 502, 503, 504)
  async create(
    @Body() dto: CreateBindingDto,
    @CallContext() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BindingView> {
    const outcome = await this.binder.bind(dto, ctx);
    void reply.status(outcome.created ? HttpStatus.CREATED : HttpStatus.OK);
    return toBindingView(outcome.binding, this.clock.now());
  }

  @Patch(':id')
  @Roles('order')
  @ApiOkResponse({ type: BindingView })
  @ApiErrors(400, 404, 409, 502, 504)
  async update(
    @Param('id', uuid) id: string,
    @Body() dto: UpdateBindingDto,
    @CallContext() ctx: RequestContext,
  ): Promise<BindingView> {
    return toBindingView(await this.changes.update(id, dto, ctx), this.clock.now());
  }

  /** 200 once ended (unbound, or already ended); 202 while `unbinding` (reconciliation ends it). */
  @Delete(':id')
  @Roles('order')
  @ApiOkResponse({ type: BindingView, description: 'Unbound (or already ended)' })
  @ApiAcceptedResponse({
    type: BindingView,
    description: 'Unbinding: recorded, routes no call, ended at the provider by reconciliation',
  })
  @ApiErrors(400, 404, 503)
  async unbind(
    @Param('id', uuid) id: string,
    @CallContext() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BindingView> {
    const binding = await this.unbinder.unbind(id, ctx);
    void reply.status(binding.state === 'unbinding' ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return toBindingView(binding, this.clock.now());
  }

  /**
   * The trip is over: the driver (B) may no longer call (CONTROL_BX_DISABLE at the provider, and
   * routing refuses B), the passenger (A) may still reach the driver until the contact window
   * closes, when the binding is unbound. 200 with the binding (`phase: contact-window`); a window
   * of 0 unbinds now, answered as DELETE is (200 unbound, 202 unbinding).
   */
  @Post(':id/end-trip')
  @Roles('order')
  @HttpCode(200)
  @ApiOkResponse({ type: BindingView, description: 'In its contact window, or unbound (window 0)' })
  @ApiAcceptedResponse({ type: BindingView, description: 'Window 0: unbinding (as DELETE)' })
  @ApiErrors(400, 404, 409, 502, 504)
  async endTrip(
    @Param('id', uuid) id: string,
    @Body() dto: EndTripDto,
    @CallContext() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BindingView> {
    const binding = await this.trips.endTrip(id, dto.contactWindowSeconds, ctx);
    if (binding.state === 'unbinding') void reply.status(HttpStatus.ACCEPTED);
    return toBindingView(binding, this.clock.now());
  }

  @Get(':id')
  @Roles('admin')
  @ApiOkResponse({
    type: BindingWithEventsView,
    description: 'With events and calls; a full read is recorded, a masked one is not',
  })
  @ApiErrors(400, 404, 504)
  get(
    @Param('id', uuid) id: string,
    @Query() query: BindingReadQuery,
    @CallContext() ctx: RequestContext,
  ): Promise<BindingDetail> {
    return this.queries.get(id, query.view ?? 'full', ctx);
  }

  @Get()
  @Roles('admin')
  @ApiOkResponse({
    type: BindingPageView,
    description: 'A full read, and any search by phone number, is recorded; a masked one is not',
  })
  @ApiErrors(400, 504)
  list(
    @Query() query: SearchBindingsQuery,
    @CallContext() ctx: RequestContext,
  ): Promise<BindingPage> {
    return this.queries.list(query, ctx);
  }
}
