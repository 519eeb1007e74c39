import { Injectable } from '@nestjs/common';
import { Prisma, type Pool } from '../generated/prisma/client.js';
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

  /**
   * Registers the pool, or updates its city mode when given: one INSERT … ON CONFLICT, so
   * instances registering the default pool at the same start all succeed.
   */
  async upsert(key: string, cityStrict?: boolean): Promise<Pool> {
    const [row] = await this.prisma.$queryRaw<Pool[]>(Prisma.sql`
      INSERT INTO pools (key, city_strict) VALUES (${key}, ${cityStrict ?? false})
      ON CONFLICT (key) DO UPDATE
         SET city_strict = coalesce(${cityStrict ?? null}::boolean, pools.city_strict)
      RETURNING key, city_strict AS "cityStrict", created_at AS "createdAt"`);
    return row!;
  }
}
