import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** A cluster-wide "one instance at a time" for jobs that must not run twice at once. */
@Injectable()
export class SchedulerLockRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Runs `work` while holding a transaction-scoped advisory lock named `key`, or returns null at
   * once when another instance holds it. The lock goes with the transaction, so a crashed holder
   * frees it with its connection.
   */
  withExclusive<T>(key: string, timeoutMs: number, work: () => Promise<T>): Promise<T | null> {
    return this.prisma.$transaction(
      async (tx) => {
        const [row] = await tx.$queryRaw<Array<{ locked: boolean }>>(
          Prisma.sql`SELECT pg_try_advisory_xact_lock(hashtext(${key})) AS locked`,
        );
        return row?.locked ? work() : null;
      },
      { timeout: timeoutMs, maxWait: 5_000 },
    );
  }
}
