import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { Public, Roles } from '../auth/roles.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { CallStatusGateway } from '../routing/call-status.gateway.js';

/** Liveness says the process answers; readiness says it can do its job (the database answers). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly callStatus: CallStatusGateway,
  ) {}

  @Public()
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Any valid key may ask; the provider's circuit is reported but never fails readiness. */
  @Roles('order', 'routing', 'admin', 'provider')
  @Get('ready')
  async ready(): Promise<{ status: 'ok'; database: 'up'; provider: { circuit: string } }> {
    try {
      await this.prisma.pgPool.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({
        code: 'NOT_READY',
        message: 'Database unreachable',
        database: 'down',
      });
    }
    return { status: 'ok', database: 'up', provider: { circuit: this.callStatus.breakerState } };
  }
}
