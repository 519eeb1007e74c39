import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { Binding } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';

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
  constructor(private readonly admin: AdminReadsDatabase) {}

  search(filter: BindingFilter, limit: number, after?: PageCursor): Promise<Binding[]> {
    const where: Prisma.BindingWhereInput[] = [];
    if (filter.outId) where.push({ outId: filter.outId });
    if (filter.phone) where.push({ OR: [{ phoneA: filter.phone }, { phoneB: filter.phone }] });
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
