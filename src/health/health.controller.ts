import { Controller, Get, HttpCode, Req, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PrincipalResolver } from '../auth/principal-resolver.js';
import { Public } from '../auth/roles.js';
import type { RouteAccess } from '../auth/route-access.js';
import { withDeadline } from '../common/async/with-deadline.js';
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

/** What a probe's caller may present: a key in a header (a public route has no session). */
const PROBE_ACCESS: RouteAccess = { public: true, roles: [] };

/**
 * Liveness says the process answers; readiness says it can do its job: not shutting down, and the
 * database answers within READINESS_TIMEOUT_MS. Both are open to probes without keys
 * (Kubernetes, load balancers) and neither waits on a credential before it starts (the access
 * hook resolves none on public routes). Readiness adds its details (database, the provider's
 * circuit) for a caller whose key is verified within the same READINESS_TIMEOUT_MS (from the
 * key cache at once; while the database is away, an uncached key cannot be, and the answer comes
 * without details, in time), and is 503 for keyed and unkeyed callers alike.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly callStatus: CallStatusGateway,
    private readonly lifecycle: Lifecycle,
    private readonly principals: PrincipalResolver,
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
    if (this.lifecycle.draining) {
      throw new ServiceUnavailableException({ code: 'NOT_READY', message: 'Shutting down' });
    }
    // Both within one deadline, side by side: neither waits for the other.
    const [database, detailed] = await Promise.all([
      this.withinDeadline(this.databaseAnswers(), false),
      this.withinDeadline(this.knownCaller(request), false),
    ]);
    if (!database) {
      throw new ServiceUnavailableException({
        code: 'NOT_READY',
        message: 'Database unreachable',
        ...(detailed ? { database: 'down' } : {}),
      });
    }
    if (!detailed) return { status: 'ok' };
    return { status: 'ok', database: 'up', provider: { circuit: this.callStatus.breakerState } };
  }

  private databaseAnswers(): Promise<boolean> {
    return this.prisma.pgPool
      .query({ text: 'SELECT 1', ...statementLimit(READINESS_TIMEOUT_MS) })
      .then(
        () => true,
        () => false,
      );
  }

  /** Whether the request carries a valid key (then it is the request's actor too). */
  private async knownCaller(request: FastifyRequest): Promise<boolean> {
    const principal = await this.principals.resolve(request, PROBE_ACCESS).catch(() => undefined);
    if (!principal) return false;
    request.principal = principal;
    request.actor = principal.name;
    return true;
  }

  /** `work`'s answer, or `late` once READINESS_TIMEOUT_MS have passed (the work is not waited for). */
  private withinDeadline<T>(work: Promise<T>, late: T): Promise<T> {
    return withDeadline(work, READINESS_TIMEOUT_MS, () => new Error('late')).catch(() => late);
  }
}
