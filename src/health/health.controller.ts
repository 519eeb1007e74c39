import { Controller, Get, HttpCode, Req, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/roles.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { CallStatusGateway } from '../routing/call-status.gateway.js';

interface Readiness {
  status: 'ok';
  database?: 'up';
  provider?: { circuit: string };
}

/**
 * Liveness says the process answers; readiness says it can do its job (the database answers).
 * Both are open to probes without keys (Kubernetes, load balancers); readiness adds its details
 * (database, the provider's circuit) only for a caller with a valid key.
 */
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

  /** The provider's circuit is reported but never fails readiness. */
  @Public()
  @Get('ready')
  async ready(@Req() request: FastifyRequest): Promise<Readiness> {
    const detailed = request.principal !== undefined;
    try {
      await this.prisma.pgPool.query('SELECT 1');
    } catch {
      throw new ServiceUnavailableException({
        code: 'NOT_READY',
        message: 'Database unreachable',
        ...(detailed ? { database: 'down' } : {}),
      });
    }
    if (!detailed) return { status: 'ok' };
    return { status: 'ok', database: 'up', provider: { circuit: this.callStatus.breakerState } };
  }
}
