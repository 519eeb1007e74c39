import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { EmptyBodyDto } from '../common/validation/empty-body.dto.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { BlacklistService, type BlacklistEntryView } from './blacklist.service.js';
import { AddBlacklistEntryDto, BlacklistEntryRefDto } from './dto/blacklist-entry.dto.js';
import { PoolKeyPipe, SecretNumberPipe } from './inventory-params.js';
import { NumberLocksService } from './number-locks.service.js';
import type { NumberLock } from './number-locks.repository.js';

/** A number's lock as the API answers it. */
interface NumberLockView {
  poolKey: string;
  number: string;
  locked: boolean;
  lockedAt: string | null;
  lockedBy: string | null;
  liveBindings: number;
}

function lockView(poolKey: string, lock: NumberLock): NumberLockView {
  return {
    poolKey,
    number: lock.number,
    locked: lock.lockedAt !== null,
    lockedAt: lock.lockedAt?.toISOString() ?? null,
    lockedBy: lock.lockedBy,
    liveBindings: lock.liveBindings,
  };
}

/**
 * The safety team's tools on a pool (admin or safety keys): locking a leaked or abused X, and
 * the pool's blacklist.
 */
@ApiTags('number safety')
@Roles('admin', 'safety')
@ApiErrors(400, 404, 429, 502, 504)
@Controller('v1/pools')
export class NumberSafetyController {
  constructor(
    private readonly locks: NumberLocksService,
    private readonly blacklist: BlacklistService,
  ) {}

  /**
   * LockSecretNo: the number takes no new binding, and every routing lookup of a live binding on
   * it is refused (403 X_LOCKED); `liveBindings` says how many that is.
   */
  @Post(':poolKey/numbers/:number/lock')
  @HttpCode(200)
  @ApiOkResponse({ description: '{poolKey, number, locked, lockedAt, lockedBy, liveBindings}' })
  async lock(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Param('number', SecretNumberPipe) number: string,
    @Body() _body: EmptyBodyDto,
    @CallContext() ctx: RequestContext,
  ): Promise<NumberLockView> {
    return lockView(poolKey, await this.locks.lock(poolKey, number, ctx));
  }

  /** UnlockSecretNo: the number takes new bindings and routes calls again. */
  @Post(':poolKey/numbers/:number/unlock')
  @HttpCode(200)
  @ApiOkResponse({ description: '{poolKey, number, locked: false, …}' })
  async unlock(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Param('number', SecretNumberPipe) number: string,
    @Body() _body: EmptyBodyDto,
    @CallContext() ctx: RequestContext,
  ): Promise<NumberLockView> {
    return lockView(poolKey, await this.locks.unlock(poolKey, number, ctx));
  }

  /** The pool's blacklist as added here (Alibaba has no action that lists it). */
  @Get(':poolKey/blacklist')
  @ApiOkResponse({ description: '{poolKey, items: [{phone, peerPhone, direction, …}]}' })
  async list(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
  ): Promise<{ poolKey: string; items: BlacklistEntryView[] }> {
    return { poolKey, items: await this.blacklist.list(poolKey) };
  }

  /**
   * AddSecretBlacklist: block `phone` for the pool (`direction` outgoing), or between `phone` and
   * `peerPhone` (outgoing, incoming or both). Adding the same numbers again replaces the
   * direction and remark.
   */
  @Post(':poolKey/blacklist')
  @ApiCreatedResponse({ description: 'The entry' })
  add(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Body() dto: AddBlacklistEntryDto,
    @CallContext() ctx: RequestContext,
  ): Promise<BlacklistEntryView> {
    return this.blacklist.add(poolKey, dto, ctx);
  }

  /** DeleteSecretBlacklist of the entry naming `phone` (and `peerPhone`): numbers in the body. */
  @Delete(':poolKey/blacklist')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Removed' })
  async remove(
    @Param('poolKey', PoolKeyPipe) poolKey: string,
    @Body() dto: BlacklistEntryRefDto,
    @CallContext() ctx: RequestContext,
  ): Promise<void> {
    await this.blacklist.remove(poolKey, dto.phone, dto.peerPhone, ctx);
  }
}
