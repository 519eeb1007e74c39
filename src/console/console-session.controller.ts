import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public, Roles } from '../auth/roles.js';
import {
  ConsoleSessionService,
  type SessionInfo,
} from '../auth/session/console-session.service.js';
import { SESSION_COOKIE, readCookie } from '../auth/session/session-cookie.js';
import type { SessionRequest } from '../auth/session/session-cookie.source.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { SignInDto } from './dto/sign-in.dto.js';

/**
 * Sign-in and sign-out of the admin console. The key is exchanged for an HttpOnly,
 * SameSite=Strict session cookie and is not kept by the browser; the answer carries the CSRF token
 * the console sends back on every request that changes something. The console then calls the
 * ordinary /v1 routes with the cookie.
 */
@ApiTags('console')
@Controller('v1/console/session')
export class ConsoleSessionController {
  constructor(private readonly sessions: ConsoleSessionService) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ description: 'Signed in; Set-Cookie carries the session' })
  @ApiErrors(400, 401, 403)
  async signIn(
    @Body() dto: SignInDto,
    @Req() request: SessionRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionInfo> {
    const { info, cookie } = await this.sessions.signIn(dto.apiKey, request, reply);
    void reply.header('set-cookie', cookie(this.sessions.secureFor(request)));
    return info;
  }

  /** The current session (after a page reload the console asks for its CSRF token again). */
  @Roles('admin')
  @Get()
  @ApiOkResponse({ description: 'The session behind the cookie' })
  @ApiErrors(401, 404)
  current(@Req() request: SessionRequest): SessionInfo {
    // Reached with a Bearer key instead of a cookie: there is no session to describe.
    if (!request.consoleSession) throw new NotFoundError('Console session');
    return request.consoleSession;
  }

  /** Ends the session everywhere (it is revoked in the database) and clears the cookie. */
  @Public()
  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Signed out' })
  async signOut(
    @Req() request: SessionRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    // Public so an expired session can still clear its cookie; revoking needs no CSRF token
    // because ending a session is all a forged request could do.
    await this.sessions.signOut(readCookie(request.headers.cookie, SESSION_COOKIE));
    void reply.header('set-cookie', this.sessions.clearedCookie(this.sessions.secureFor(request)));
  }
}
