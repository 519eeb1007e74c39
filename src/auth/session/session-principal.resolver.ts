import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../principal.js';
import { ConsoleSessionService, type SessionInfo } from './console-session.service.js';
import {
  CSRF_HEADER,
  SAFE_METHODS,
  SESSION_COOKIE,
  csrfTokenMatches,
  readCookie,
} from './session-cookie.js';

export type SessionRequest = FastifyRequest & { consoleSession?: SessionInfo };

/**
 * A source of principals beside the Bearer key: the console's session cookie. Returns null when
 * the request carries no session cookie (the caller then asks for a key as before); a cookie that
 * names no live session is a 401, and a cookie-authenticated request that changes something
 * without the matching `x-csrf-token` is a 403. Kept apart from the key check so the
 * authentication layer can list it as one resolver among others.
 */
@Injectable()
export class SessionPrincipalResolver {
  constructor(private readonly sessions: ConsoleSessionService) {}

  async resolve(request: SessionRequest): Promise<Principal | null> {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) return null;
    const live = await this.sessions.principalOf(token);
    if (!live) {
      throw new UnauthorizedException({
        code: 'SESSION_EXPIRED',
        message: 'The console session has ended; sign in again',
      });
    }
    if (!SAFE_METHODS.has(request.method)) {
      const given = request.headers[CSRF_HEADER];
      if (!csrfTokenMatches(token, typeof given === 'string' ? given : undefined)) {
        throw new ForbiddenException({
          code: 'CSRF_TOKEN_INVALID',
          message: `A request that changes something needs the session's ${CSRF_HEADER} header`,
        });
      }
    }
    request.consoleSession = live.info;
    return live.principal;
  }
}
