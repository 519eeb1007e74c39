import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeysService } from './api-keys.service.js';
import type { Principal } from './principal.js';
import { PUBLIC_KEY, ROLES_KEY, type Role } from './roles.js';
import { SessionPrincipalResolver } from './session/session-principal.resolver.js';

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal; actor?: string };

/**
 * Every route needs a key (`Authorization: Bearer …`) with one of the roles it declares; only
 * @Public() routes are open. A route that declares no roles is closed to everyone. The provider's
 * pushes cannot carry headers we choose, so provider routes also accept the key as `?key=`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
    private readonly sessions: SessionPrincipalResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? [];
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();

    const token = bearer(request) ?? (roles.includes('provider') ? queryKey(request) : undefined);
    // No key: the console's session cookie may stand in for one (admin routes only).
    const session = token ? null : await this.sessions.resolve(request);
    if (session) return this.admit(request, session, roles);
    if (!token) {
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer');
      throw new UnauthorizedException({
        code: 'UNAUTHENTICATED',
        message: 'An API key is required: Authorization: Bearer <key>',
      });
    }
    const principal = await this.keys.authenticate(token);
    if (!principal) {
      void http
        .getResponse<FastifyReply>()
        .header('www-authenticate', 'Bearer error="invalid_token"');
      throw new UnauthorizedException({
        code: 'INVALID_API_KEY',
        message: 'The API key is not valid',
      });
    }
    return this.admit(request, principal, roles);
  }

  private admit(request: AuthenticatedRequest, principal: Principal, roles: Role[]): boolean {
    if (!roles.some((r) => principal.roles.includes(r))) {
      throw new ForbiddenException({
        code: 'FORBIDDEN_ROLE',
        message: roles.length
          ? `This key may not call this route (needs one of: ${roles.join(', ')})`
          : 'This route is closed',
      });
    }
    request.principal = principal;
    request.actor = principal.name;
    return true;
  }
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearer(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

function queryKey(request: FastifyRequest): string | undefined {
  const key = (request.query as Record<string, unknown> | undefined)?.key;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
