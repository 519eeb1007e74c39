import { Body, Controller, Get, HttpCode, Module, NotFoundException, Post } from '@nestjs/common';
import { Roles } from '../../src/auth/roles.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import {
  parseRouteLookup,
  type RouteLookupBody,
} from '../../src/routing/dto/route-lookup.parser.js';

const BARE = { ok: true } as const;

/**
 * The benchmark's reference routes, through the same bootstrap() and guards (API key, role, rate
 * limit, request hooks) as a routing lookup:
 *   POST /bench/baseline — the lookup's request shape and body check, answered by a single
 *                          indexed read of the binding (primary key, raw pg pool) and nothing else;
 *   GET  /bench/bare     — a constant: what the framework and its pipeline cost on their own.
 */
@Roles('routing')
@Controller('bench')
class BaselineController {
  constructor(private readonly prisma: PrismaService) {}

  @Post('baseline')
  @HttpCode(200)
  async read(@Body() body: RouteLookupBody): Promise<Record<string, unknown>> {
    const { ref } = parseRouteLookup(body, 'unused');
    if (!('bindingId' in ref)) throw new NotFoundException();
    const { rows } = await this.prisma.pgPool.query<{ id: string; state: string; phone_x: string }>(
      {
        name: 'bench-baseline',
        text: 'SELECT id, state, phone_x FROM bindings WHERE id = $1::uuid',
        values: [ref.bindingId],
      },
    );
    const row = rows[0];
    if (!row) throw new NotFoundException();
    return { bindingId: row.id, state: row.state, dial: row.phone_x };
  }

  @Get('bare')
  bare(): typeof BARE {
    return BARE;
  }
}

/** Registered only by bench/routing-bench.ts, through bootstrap's extraModules. */
@Module({ controllers: [BaselineController] })
export class BaselineModule {}
