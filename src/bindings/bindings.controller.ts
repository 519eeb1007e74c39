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
  toBindingView,
  toEventView,
  type BindingEventView,
  type BindingView,
} from './binding.view.js';
import { BindingsRepository } from './bindings.repository.js';
import { CreateBindingDto } from './dto/create-binding.dto.js';
import { SearchBindingsQuery } from './dto/search-bindings.query.js';
import { UpdateBindingDto } from './dto/update-binding.dto.js';
import { resolveExpiry } from './expiry.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({
      code: 'VALIDATION_FAILED',
      message: 'Invalid id: must be a UUID',
      fields: [{ field: 'id', problems: ['must be a UUID'] }],
    }),
});

@Controller('v1/bindings')
export class BindingsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly binder: BindService,
    private readonly changes: BindingChangesService,
    private readonly bindings: BindingsRepository,
    private readonly search: BindingSearchRepository,
  ) {}

  /** 201 with a new binding; 200 with the existing one when the order was already bound. */
  @Post()
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
  async unbind(
    @Param('id', uuid) id: string,
    @CallContext() ctx: RequestContext,
  ): Promise<BindingView> {
    return toBindingView(await this.changes.unbind(id, ctx), this.clock.now());
  }

  @Get(':id')
  async get(
    @Param('id', uuid) id: string,
  ): Promise<BindingView & { events: BindingEventView[]; calls: CallView[] }> {
    const binding = await this.bindings.findWithEvents(id);
    if (!binding) throw new NotFoundError('Binding', { id });
    const calls = await this.bindings.findCalls(id);
    return {
      ...toBindingView(binding, this.clock.now()),
      events: binding.events.map(toEventView),
      calls: calls.map(toCallView),
    };
  }

  @Get()
  async list(
    @Query() query: SearchBindingsQuery,
  ): Promise<{ items: Array<BindingView & { calls: number }>; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    const rows = await this.search.search(
      {
        outId: query.outId,
        phone: query.phone,
        phoneX: query.phoneX,
        state: query.state,
        createdFrom: query.createdFrom ? new Date(query.createdFrom) : undefined,
        createdTo: query.createdTo ? new Date(query.createdTo) : undefined,
      },
      limit + 1,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const now = this.clock.now();
    const calls = await this.bindings.countCalls(page.map((b) => b.id));
    return {
      items: page.map((b) => ({ ...toBindingView(b, now), calls: calls.get(b.id) ?? 0 })),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }
}
