import { Injectable } from '@nestjs/common';
import type { Pool } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';

@Injectable()
export class PoolsRepository {
  constructor(private readonly prisma: PrismaService) {}

  find(key: string): Promise<Pool | null> {
    return this.prisma.pool.findUnique({ where: { key } });
  }

  list(): Promise<Pool[]> {
    return this.prisma.pool.findMany({ orderBy: { key: 'asc' } });
  }

  /** Registers the pool, or updates its city mode when given. */
  upsert(key: string, cityStrict?: boolean): Promise<Pool> {
    return this.prisma.pool.upsert({
      where: { key },
      create: { key, cityStrict: cityStrict ?? false },
      update: cityStrict === undefined ? {} : { cityStrict },
    });
  }
}
