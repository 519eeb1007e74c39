import { Injectable } from '@nestjs/common';
import type { PoolBlacklistEntry } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** A blacklist entry as written (its identity is pool, phone and peer phone). */
export interface BlacklistRow {
  poolKey: string;
  blackType: string;
  phone: string;
  peerPhone: string | null;
  wayControl: string | null;
  direction: string;
  remark: string | null;
}

/**
 * pool_blacklist: what was added to each pool's blacklist at the provider (Alibaba cannot list
 * it). Writing an entry notifies the routing caches of the bindings it names (prisma/sql/
 * 070_blacklist.sql).
 */
@Injectable()
export class BlacklistRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(poolKey: string): Promise<PoolBlacklistEntry[]> {
    return this.prisma.poolBlacklistEntry.findMany({
      where: { poolKey },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  find(
    poolKey: string,
    phone: string,
    peerPhone: string | null,
  ): Promise<PoolBlacklistEntry | null> {
    return this.prisma.poolBlacklistEntry.findFirst({ where: { poolKey, phone, peerPhone } });
  }

  /**
   * Writes the entry (a new one, or new direction and remark for the same numbers); answers it
   * and what it replaced (null when new), so a failure at the provider can put that back.
   */
  async upsert(
    row: BlacklistRow,
    actor: string,
    now: Date,
  ): Promise<{ entry: PoolBlacklistEntry; previous: PoolBlacklistEntry | null }> {
    return this.prisma.$transaction(async (tx) => {
      const previous = await tx.poolBlacklistEntry.findFirst({
        where: { poolKey: row.poolKey, phone: row.phone, peerPhone: row.peerPhone },
      });
      const entry = previous
        ? await tx.poolBlacklistEntry.update({
            where: { id: previous.id },
            data: { ...row, updatedAt: now },
          })
        : await tx.poolBlacklistEntry.create({
            data: { ...row, createdBy: actor, createdAt: now, updatedAt: now },
          });
      return { entry, previous };
    });
  }

  /** Puts back what upsert() replaced (or removes what it created). */
  async restore(entry: PoolBlacklistEntry, previous: PoolBlacklistEntry | null): Promise<void> {
    if (!previous) {
      await this.prisma.poolBlacklistEntry.deleteMany({ where: { id: entry.id } });
      return;
    }
    const { id, ...was } = previous;
    await this.prisma.poolBlacklistEntry.update({ where: { id }, data: was });
  }

  async remove(id: bigint): Promise<void> {
    await this.prisma.poolBlacklistEntry.deleteMany({ where: { id } });
  }
}
