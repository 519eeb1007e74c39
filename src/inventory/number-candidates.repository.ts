import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { liveAt } from '../bindings/binding-states.js';
import { PrismaService } from '../prisma/prisma.service.js';
import type { XCandidate } from './x-selection.js';

/**
 * Reads the pool's usable middle numbers for a pair (A, B): held, healthy, and with no live
 * binding on it in which A or B already appears (in either role: a caller must identify exactly
 * one binding per X). Returns each with its current load.
 */
@Injectable()
export class NumberCandidatesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(input: {
    poolKey: string;
    phoneA: string;
    phoneB: string;
    now: Date;
    exclude?: readonly string[];
  }): Promise<XCandidate[]> {
    const { poolKey, phoneA, phoneB, now } = input;
    const exclude = input.exclude?.length ? input.exclude : [''];
    const rows = await this.prisma.$queryRaw<Array<{ number: string; city: string; load: number }>>(
      Prisma.sql`
        SELECT n.number, n.city,
               (SELECT count(*)::int FROM bindings b
                 WHERE b.phone_x = n.number AND ${liveAt('b', now)}) AS load
          FROM secret_numbers n
         WHERE n.pool_key = ${poolKey}
           AND n.state = 'active'
           AND n.health = 'normal'
           AND n.number <> ALL (${exclude}::text[])
           AND NOT EXISTS (
                 SELECT 1 FROM bindings b
                  WHERE b.phone_x = n.number AND ${liveAt('b', now)}
                    AND (b.phone_a IN (${phoneA}, ${phoneB}) OR b.phone_b IN (${phoneA}, ${phoneB})))`,
    );
    return rows;
  }

  /** Whether the pool holds any number in use here (of `city`, when given). */
  async holdsAny(poolKey: string, city?: string): Promise<boolean> {
    const found = await this.prisma.secretNumber.findFirst({
      where: { poolKey, state: 'active', ...(city ? { city } : {}) },
      select: { id: true },
    });
    return found !== null;
  }
}
