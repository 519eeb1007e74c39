import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { PoolKeyPipe, SecretNumberPipe } from './inventory-params.js';
import { BuyNumbersDto } from './dto/buy-numbers.dto.js';
import { RegisterNumbersDto } from './dto/register-numbers.dto.js';
import { RegisterPoolDto } from './dto/register-pool.dto.js';
import { InventoryService, type BuyResult, type StockView } from './inventory.service.js';
import { NumberRegistrationService, type RegisterResult } from './number-registration.service.js';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';

@ApiTags('pools')
@Roles('admin')
@ApiErrors(400, 404)
@Controller('v1/pools')
export class InventoryController {
  constructor(
    private readonly inventory: InventoryService,
    private readonly registration: NumberRegistrationService,
  ) {}

  /** The registered pools (the console's pool picker). */
  @Get()
  async pools() {
    const pools = await this.inventory.listPools();
    return {
      items: pools.map((p) => ({
        poolKey: p.key,
        cityStrict: p.cityStrict,
        createdAt: p.createdAt.toISOString(),
      })),
    };
  }

  @Put(':poolKey')
  async register(@Param('poolKey', PoolKeyPipe) poolKey: string, @Body() dto: RegisterPoolDto) {
    const pool = await this.inventory.registerPool(poolKey, dto.cityStrict);
    return {
      poolKey: pool.key,
      cityStrict: pool.cityStrict,
      createdAt: pool.createdAt.toISOString(),
    };
  }

  @Post(':poolKey/numbers')
  @ApiErrors(429, 502, 503, 504)
  buy(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Body() dto: BuyNumbersDto,
    @CallContext() ctx: RequestContext,
  ): Promise<BuyResult> {
    return this.inventory.buy(poolKey, dto.spec, dto.city, dto.count, dto.prefix, ctx.requestId);
  }

  /** Numbers the account already holds at the provider, each checked there first. */
  @Post(':poolKey/numbers/register')
  @ApiErrors(429, 502, 503, 504)
  registerNumbers(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Body() dto: RegisterNumbersDto,
    @CallContext() ctx: RequestContext,
  ): Promise<RegisterResult> {
    return this.registration.register(poolKey, dto.numbers, ctx.requestId);
  }

  @Delete(':poolKey/numbers/:number')
  @ApiErrors(409, 502, 504)
  @HttpCode(204)
  async release(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Param('number', SecretNumberPipe) number: string,
    @CallContext() ctx: RequestContext,
  ): Promise<void> {
    await this.inventory.release(poolKey, number, ctx.requestId);
  }

  @Get(':poolKey/numbers')
  async list(@Param('poolKey', PoolKeyPipe) poolKey: string) {
    const numbers = await this.inventory.list(poolKey);
    return {
      poolKey,
      items: numbers.map((n) => ({
        ...n,
        boughtAt: n.boughtAt.toISOString(),
        releasedAt: n.releasedAt?.toISOString() ?? null,
      })),
    };
  }

  @Get(':poolKey/stock')
  stock(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @CallContext() ctx: RequestContext,
  ): Promise<StockView> {
    return this.inventory.stock(poolKey, ctx.requestId);
  }
}
