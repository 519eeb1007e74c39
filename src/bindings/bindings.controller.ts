import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpStatus,
  Inject,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock/clock.js';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import { toCallView, type CallView } from '../routing/call-record.view.js';
import { BindService } from './bind.service.js';
import { BindingChangesService } from './binding-changes.service.js';
import { BindingSearchRepository } from './binding-search.repository.js';
import {
  BindingPageView,
  BindingView,
  BindingWithEventsView,
  maskedBindingView,
  toBindingView,
  toEventView,
  type BindingEventView,
} from './binding.view.js';
import { BindingsRepository } from './bindings.repository.js';
import { CreateBindingDto } from './dto/create-binding.dto.js';
import { BindingReadQuery, SearchBindingsQuery } from './dto/search-bindings.query.js';
import { UpdateBindingDto } from './dto/update-binding.dto.js';
import { resolveExpiry } from './expiry.js';
import { parseApiDate } from '../common/validation/api-date.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeysRepository } from '../auth/api-keys.repository.js';
import { Roles } from '../auth/roles.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: 'Invalid id: must be a UUID',
      fields: [{ field: 'id', problems: ['must be a UUID'] }],
    }),
});

@ApiTags('bindings')
@Controller('v1/bindings')
export class BindingsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly binder: BindService,
    private readonly changes: BindingChangesService,
    private readonly bindings: BindingsRepository,
    private readonly search: BindingSearchRepository,
    private readonly access: ApiKeysRepository,
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
    const now = this.clock.now();
    const expiresAt = resolveExpiry(dto, now, this.config.bindings.maxTtlSeconds, true)!;
    if (dto.phoneA === dto.phoneB) {
      throw new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: 'Invalid phoneB: must differ from phoneA',
        fields: [{ field: 'phoneB', problems: ['must differ from phoneA'] }],
      });
    }
    const outcome = await this.binder.bind(
      {
        poolKey: dto.poolKey ?? this.config.pools.defaultPoolKey,
        outId: dto.outId,
        phoneA: dto.phoneA,
        phoneB: dto.phoneB,
        city: dto.city,
        cityStrict: dto.cityStrict ?? false,
        record: dto.record ?? false,
        expiresAt,
        phoneX: dto.phoneX,
      },
      ctx,
    );
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
    const expiresAt = resolveExpiry(
      dto,
      this.clock.now(),
      this.config.bindings.maxTtlSeconds,
      false,
    );
    if (!dto.phoneA && !dto.phoneB && !expiresAt) {
      throw new BadRequestException({
        code: 'VALIDATION_FAILED',
        message: 'Invalid body: give phoneA, phoneB, expiresAt or ttlSeconds',
        fields: [{ field: 'body', problems: ['nothing to change'] }],
      });
    }
    const binding = await this.changes.update(
      id,
      { phoneA: dto.phoneA, phoneB: dto.phoneB, expiresAt },
      ctx,
    );
    return toBindingView(binding, this.clock.now());
  }

  @Delete(':id')
  @Roles('order')
  @ApiOkResponse({ type: BindingView })
  @ApiErrors(400, 404, 409, 502, 504)
  async unbind(
    @Param('id', uuid) id: string,
    @CallContext() ctx: RequestContext,
  ): Promise<BindingView> {
    return toBindingView(await this.changes.unbind(id, ctx), this.clock.now());
  }

  @Get(':id')
  @Roles('admin')
  @ApiOkResponse({
    type: BindingWithEventsView,
    description: 'With events and calls; a full read is recorded, a masked one is not',
  })
  @ApiErrors(400, 404)
  async get(
    @Param('id', uuid) id: string,
    @Query() query: BindingReadQuery,
    @CallContext() ctx: RequestContext,
  ): Promise<BindingView & { events: BindingEventView[]; calls: CallView[] }> {
    const binding = await this.bindings.findWithEvents(id);
    if (!binding) throw new NotFoundError('Binding', { id });
    const masked = query.view === 'masked';
    if (!masked) {
      await this.access.recordAccess(
        ctx.actor,
        'GET /v1/bindings/:id',
        [id],
        ctx.requestId,
        this.clock.now(),
      );
    }
    const calls = await this.bindings.findCalls(id);
    const view = {
      ...toBindingView(binding, this.clock.now()),
      events: binding.events.map(toEventView),
      calls: calls.map(toCallView),
    };
    return masked ? maskedBindingView(view) : view;
  }

  @Get()
  @Roles('admin')
  @ApiOkResponse({
    type: BindingPageView,
    description: 'A full read is recorded; a masked one is not',
  })
  @ApiErrors(400)
  async list(
    @Query() query: SearchBindingsQuery,
    @CallContext() ctx: RequestContext,
  ): Promise<{ items: Array<BindingView & { calls: number }>; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    const rows = await this.search.search(
      {
        outId: query.outId,
        phone: query.phone,
        phoneX: query.phoneX,
        state: query.state,
        createdFrom: parseApiDate(query.createdFrom) ?? undefined,
        createdTo: parseApiDate(query.createdTo) ?? undefined,
      },
      limit + 1,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const now = this.clock.now();
    const masked = query.view === 'masked';
    // Who saw full numbers, and whose: every admin read of full numbers is recorded.
    if (!masked) {
      await this.access.recordAccess(
        ctx.actor,
        'GET /v1/bindings',
        page.map((b) => b.id),
        ctx.requestId,
        now,
      );
    }
    const calls = await this.bindings.countCalls(page.map((b) => b.id));
    const view = (b: (typeof page)[number]) => toBindingView(b, now);
    return {
      items: page.map((b) => ({
        ...(masked ? maskedBindingView(view(b)) : view(b)),
        calls: calls.get(b.id) ?? 0,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }
}
