import { Body, Controller, HttpCode, Module, NotFoundException, Post } from '@nestjs/common';
import { IsUUID } from 'class-validator';
import { Roles } from '../../src/auth/roles.js';
import { IsSubscriberNumber } from '../../src/common/validation/is-subscriber-number.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';

class BaselineDto {
  @IsUUID('all')
  bindingId!: string;

  @IsSubscriberNumber()
  callerNo!: string;
}

/**
 * The benchmark's baseline: the same request shape and pipeline as a routing lookup, answered
 * by a single indexed read of the binding (primary key, raw pg pool) and nothing else.
 */
@Roles('routing')
@Controller('bench')
class BaselineController {
  constructor(private readonly prisma: PrismaService) {}

  @Post('baseline')
  @HttpCode(200)
  async read(@Body() dto: BaselineDto): Promise<Record<string, unknown>> {
    const { rows } = await this.prisma.pgPool.query<{ id: string; state: string; phone_x: string }>(
      {
        name: 'bench-baseline',
        text: 'SELECT id, state, phone_x FROM bindings WHERE id = $1::uuid',
        values: [dto.bindingId],
      },
    );
    const row = rows[0];
    if (!row) throw new NotFoundException();
    return { bindingId: row.id, state: row.state, dial: row.phone_x };
  }
}

/** Registered only by bench/routing-bench.ts, through bootstrap's extraModules. */
@Module({ controllers: [BaselineController] })
export class BaselineModule {}
