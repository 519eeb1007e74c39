import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { Binding } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';

export interface BindingFilter {
  outId?: string;
  phone?: string;
  phoneX?: string;
  state?: BindingState;
  createdFrom?: Date;
  createdTo?: Date;
}

/** Position after the last row of a page: (created_at, id) of that row, newest first. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

/**
 * Admin history search over bindings, keyset-paginated on (created_at DESC, id DESC), on the admin
 * reads' own pool and statement timeout (a wide search never waits for, or holds, the call path's
 * connections).
 */
@Injectable()
export class BindingSearchRepository {
  constructor(
    private readonly admin: AdminReadsDatabase,
    private readonly hasher: PhoneHasher,
  ) {}

  search(filter: BindingFilter, limit: number, after?: PageCursor): Promise<Binding[]> {
    const where: Prisma.BindingWhereInput[] = [];
    if (filter.outId) where.push({ outId: filter.outId });
    if (filter.phone) {
      // An aged number is found by its keyed hash (the column holds its masked form).
      const digest = this.hasher.hash(filter.phone);
      const hash = digest ? new Uint8Array(digest) : null;
      const byHash: Prisma.BindingWhereInput[] = hash
        ? [{ phoneAHash: hash }, { phoneBHash: hash }]
        : [];
      where.push({ OR: [{ phoneA: filter.phone }, { phoneB: filter.phone }, ...byHash] });
    }
    if (filter.phoneX) where.push({ phoneX: filter.phoneX });
    if (filter.state) where.push({ state: filter.state });
    if (filter.createdFrom) where.push({ createdAt: { gte: filter.createdFrom } });
    if (filter.createdTo) where.push({ createdAt: { lt: filter.createdTo } });
    if (after) {
      where.push({
        OR: [
          { createdAt: { lt: after.createdAt } },
          { createdAt: after.createdAt, id: { lt: after.id } },
        ],
      });
    }
    return this.admin.read((db) =>
      db.binding.findMany({
        where: { AND: where },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit,
      }),
    );
  }
}
