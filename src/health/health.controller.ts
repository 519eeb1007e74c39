import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';

/** Liveness says the process answers; readiness says it can do its job (the database answers). */
@Controller('health')
export class HealthController {
  constructor(private readonly prisma: PrismaService) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; database: 'up' }> {
    try {
      await this.prisma.pgPool.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({
        code: 'NOT_READY',
        message: 'Database unreachable',
        database: 'down',
      });
    }
    return { status: 'ok', database: 'up' };
  }
}
