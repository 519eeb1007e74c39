import { Body, Controller, HttpCode, Inject, Module, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Roles } from '../../src/auth/roles.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { PROVIDER, type ProviderPort } from '../../src/provider/provider.port.js';

/** The table of the bare bind: a primary key and the SubsId learnt, nothing else. */
export const BARE_TABLE = `CREATE TABLE IF NOT EXISTS bench_bare_binds (
  id uuid PRIMARY KEY, subs_id text)`;

interface BareBindBody {
  outId: string;
  poolKey: string;
  phoneA: string;
  phoneB: string;
  phoneX: string;
  ttlSeconds: number;
}

/**
 * The bind benchmark's floor, through the same bootstrap() and guards (API key, role, rate limit,
 * request hooks) as POST /v1/bindings: POST /bench/bare-bind does only the durable minimum of a
 * bind, as issue 21 defines it: insert a row with only a primary key and commit, BindAxb through
 * the service's own provider client with X named by the caller, update the row and commit.
 */
@Roles('order')
@Controller('bench')
class BareBindController {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(PROVIDER) private readonly provider: ProviderPort,
  ) {}

  @Post('bare-bind')
  @HttpCode(201)
  async bind(@Body() body: BareBindBody): Promise<{ id: string; subsId: string }> {
    const id = randomUUID();
    await this.prisma.pgPool.query({
      name: 'bench-bare-insert',
      text: 'INSERT INTO bench_bare_binds (id) VALUES ($1)',
      values: [id],
    });
    const bound = await this.provider.bindAxb(
      {
        poolKey: body.poolKey,
        phoneA: body.phoneA,
        phoneB: body.phoneB,
        phoneX: body.phoneX,
        expiresAt: new Date(Date.now() + body.ttlSeconds * 1000),
        outId: body.outId,
        record: false,
      },
      {},
    );
    await this.prisma.pgPool.query({
      name: 'bench-bare-update',
      text: 'UPDATE bench_bare_binds SET subs_id = $2 WHERE id = $1',
      values: [id, bound.subsId],
    });
    return { id, subsId: bound.subsId };
  }
}

/** Registered only by bench/bind-bench.ts, through bootstrap's extraModules. */
@Module({ controllers: [BareBindController] })
export class BareBindModule {}
