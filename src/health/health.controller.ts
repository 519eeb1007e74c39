import { Controller, Get, HttpCode, Req, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/roles.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { statementLimit } from '../prisma/statement-limit.js';
import { CallStatusGateway } from '../routing/call-status.gateway.js';
import { Lifecycle } from '../runtime/lifecycle.js';

interface Readiness {
  status: 'ok';
  database?: 'up';
  provider?: { circuit: string };
}

/** Readiness answers within this, whatever the database does (probes time out after ~1–2 s). */
const READINESS_TIMEOUT_MS = 2000;

/**
 * Liveness says the process answers; readiness says it can do its job: not shutting down, and the
 * database answers within READINESS_TIMEOUT_MS. Both are open to probes without keys
 * (Kubernetes, load balancers); readiness adds its details (database, the provider's circuit)
 * only for a caller with a valid key, and is 503 for keyed and unkeyed callers alike.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly callStatus: CallStatusGateway,
    private readonly lifecycle: Lifecycle,
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
    if (this.lifecycle.draining) {
      throw new ServiceUnavailableException({ code: 'NOT_READY', message: 'Shutting down' });
    }
    if (!(await this.databaseAnswers())) {
      throw new ServiceUnavailableException({
        code: 'NOT_READY',
        message: 'Database unreachable',
        ...(detailed ? { database: 'down' } : {}),
      });
    }
    if (!detailed) return { status: 'ok' };
    return { status: 'ok', database: 'up', provider: { circuit: this.callStatus.breakerState } };
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS);
    });
    const probe = this.prisma.pgPool
      .query({ text: 'SELECT 1', ...statementLimit(READINESS_TIMEOUT_MS) })
      .then(
        () => true,
        () => false,
      );
    try {
      return await Promise.race([probe, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
