import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import type { PoolBlacklistEntry } from '../generated/prisma/client.js';
import { violatedUniqueIndex } from '../prisma/prisma-errors.js';
import { ProviderError } from '../provider/errors/index.js';
import { providerFailure } from '../provider/provider-failure.js';
import { PROVIDER, type BlacklistEntry, type ProviderPort } from '../provider/provider.port.js';
import { isWayControl } from '../protocol/secret-blacklist.js';
import { blacklistKind, type BlacklistDirection } from './blacklist-direction.js';
import { BlacklistRepository } from './blacklist.repository.js';
import { InventoryService } from './inventory.service.js';

/** A blacklist entry as the API shows it. */
export interface BlacklistEntryView {
  phone: string;
  peerPhone: string | null;
  direction: string;
  blackType: string;
  wayControl: string | null;
  remark: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface AddBlacklistEntry {
  phone: string;
  peerPhone?: string;
  direction: BlacklistDirection;
  remark?: string;
}

/**
 * A pool's blacklist: AddSecretBlacklist / DeleteSecretBlacklist at the provider, and our own
 * record of it (pool_blacklist: Alibaba has no action that lists a blacklist), which routing
 * reads to refuse a blocked caller here too (403 CALLER_BLACKLISTED). The record is written
 * first and taken back when the provider refuses, so a caller is never allowed here while the
 * provider is being asked to block it; a removal asks the provider first.
 */
@Injectable()
export class BlacklistService {
  private readonly logger = new Logger(BlacklistService.name);

  constructor(
    @Inject(PROVIDER) private readonly provider: ProviderPort,
    private readonly clock: Clock,
    private readonly inventory: InventoryService,
    private readonly entries: BlacklistRepository,
  ) {}

  async list(poolKey: string): Promise<BlacklistEntryView[]> {
    await this.inventory.requirePool(poolKey);
    return (await this.entries.list(poolKey)).map(toView);
  }

  async add(
    poolKey: string,
    input: AddBlacklistEntry,
    context: RequestContext,
  ): Promise<BlacklistEntryView> {
    const kind = blacklistKind(input.phone, input.peerPhone, input.direction);
    if (!kind.ok) throw validationFailed(kind.field, kind.problem);
    await this.inventory.requirePool(poolKey);
    const row = {
      poolKey,
      blackType: kind.blackType,
      phone: input.phone,
      peerPhone: input.peerPhone ?? null,
      wayControl: kind.wayControl,
      direction: input.direction,
      remark: input.remark ?? null,
    };
    const { entry, previous } = await this.upsert(row, context);
    try {
      await this.provider.addSecretBlacklist(providerEntry(entry), {
        requestId: context.requestId,
      });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      await this.entries.restore(entry, previous);
      throw providerFailure(error, { poolKey });
    }
    this.logger.log(`Blacklisted ${describe(entry)} in pool ${poolKey} for ${context.actor}`);
    return toView(entry);
  }

  async remove(
    poolKey: string,
    phone: string,
    peerPhone: string | undefined,
    context: RequestContext,
  ): Promise<void> {
    await this.inventory.requirePool(poolKey);
    const entry = await this.entries.find(poolKey, phone, peerPhone ?? null);
    if (!entry) throw new NotFoundError('Blacklist entry', { poolKey });
    try {
      await this.provider.deleteSecretBlacklist(providerEntry(entry), {
        requestId: context.requestId,
      });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw providerFailure(error, { poolKey });
    }
    await this.entries.remove(entry.id);
    this.logger.log(
      `Removed ${describe(entry)} from pool ${poolKey}'s blacklist for ${context.actor}`,
    );
  }

  /** Two requests adding the same numbers at once: the second updates what the first wrote. */
  private async upsert(row: Parameters<BlacklistRepository['upsert']>[0], context: RequestContext) {
    const now = this.clock.now();
    try {
      return await this.entries.upsert(row, context.actor, now);
    } catch (error) {
      if (violatedUniqueIndex(error) !== 'pool_blacklist_entry_key') throw error;
      return this.entries.upsert(row, context.actor, now);
    }
  }
}

function providerEntry(entry: PoolBlacklistEntry): BlacklistEntry {
  const remark = entry.remark ?? undefined;
  if (entry.peerPhone === null) {
    return {
      poolKey: entry.poolKey,
      blackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
      phone: entry.phone,
      remark,
    };
  }
  return {
    poolKey: entry.poolKey,
    blackType: 'POINT_TO_POINT_BLACK',
    phone: entry.phone,
    peerPhone: entry.peerPhone,
    wayControl: isWayControl(entry.wayControl) ? entry.wayControl : undefined,
    remark,
  };
}

function describe(entry: PoolBlacklistEntry): string {
  const peer = entry.peerPhone ? ` / ${maskPhone(entry.peerPhone)}` : '';
  return `${maskPhone(entry.phone)}${peer} (${entry.direction})`;
}

function toView(entry: PoolBlacklistEntry): BlacklistEntryView {
  return {
    phone: entry.phone,
    peerPhone: entry.peerPhone,
    direction: entry.direction,
    blackType: entry.blackType,
    wayControl: entry.wayControl,
    remark: entry.remark,
    createdBy: entry.createdBy,
    createdAt: entry.createdAt.toISOString(),
    updatedAt: entry.updatedAt.toISOString(),
  };
}
