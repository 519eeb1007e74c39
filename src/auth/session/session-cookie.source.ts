import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CredentialSource } from '../credential-source.js';
import type { Principal } from '../principal.js';
import type { RouteAccess } from '../route-access.js';
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
 * The console's session cookie as a credential, beside the API key sources. No cookie (or a
 * public route, which needs no credential: signing in again over an ended session must work):
 * `undefined`. A cookie naming no live session is a 401 `SESSION_EXPIRED`, and a
 * cookie-authenticated request that changes something without the session's `x-csrf-token` is a
 * 403 `CSRF_TOKEN_INVALID` — both more telling than the generic invalid-credential answer.
 */
@Injectable()
export class SessionCookieSource implements CredentialSource {
  constructor(private readonly sessions: ConsoleSessionService) {}

  async resolve(request: SessionRequest, access: RouteAccess): Promise<Principal | undefined> {
    if (access.public) return undefined;
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) return undefined;
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
