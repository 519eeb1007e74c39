import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { parseApiKey } from '../api-key.js';
import { ApiKeysService } from '../api-keys.service.js';
import { AuthFailureThrottle } from '../auth-failure.throttle.js';
import type { Principal } from '../principal.js';
import { ConsoleSessionsRepository } from './console-sessions.repository.js';
import {
  clearedSessionCookie,
  csrfTokenFor,
  hashSessionToken,
  isSessionToken,
  newSessionToken,
  sessionCookie,
} from './session-cookie.js';

/** What the console learns about its session (never the session token itself). */
export interface SessionInfo {
  name: string;
  roles: Principal['roles'];
  expiresAt: string;
  /** Sent back in `x-csrf-token` on every request that changes something. */
  csrfToken: string;
}

/** A session only ever carries the admin role: the console does admin work, nothing else. */
const SESSION_ROLES = ['admin'] as const;

/**
 * Console sessions: an admin API key is exchanged once for a random session token (cookie); the
 * key itself is not kept anywhere. Sessions live in the database, so every instance shares them
 * and sign-out or revoking the key ends them everywhere at once.
 */
@Injectable()
export class ConsoleSessionService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeysService,
    private readonly sessions: ConsoleSessionsRepository,
    private readonly clock: Clock,
    private readonly failures: AuthFailureThrottle,
  ) {}

  /**
   * 401 for a key that is not valid, 403 for a valid key without the admin role; 429
   * AUTH_THROTTLED, before the key is looked up, for an address that failed too often. The key is
   * checked in the database itself, never the verified-key cache: a key revoked seconds ago
   * opens no session.
   */
  async signIn(
    apiKey: string,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ info: SessionInfo; cookie: (secure: boolean) => string }> {
    const throttled = this.failures.retryAfter(request.ip);
    if (throttled > 0) throw this.failures.refusal(request, reply, throttled);
    const principal = await this.keys.authenticateNow(apiKey);
    if (!principal) {
      this.failures.fail(request.ip);
      throw new UnauthorizedException({
        code: 'INVALID_API_KEY',
        message: 'The API key is not valid',
      });
    }
    if (!principal.roles.includes('admin')) {
      throw new ForbiddenException({
        code: 'FORBIDDEN_ROLE',
        message: 'The console needs a key with the admin role',
      });
    }
    const { sessionIdleSeconds, sessionMaxSeconds } = this.config.console;
    const now = this.clock.now();
    const token = newSessionToken();
    const expiresAt = new Date(now.getTime() + sessionIdleSeconds * 1000);
    await this.sessions.prune(now);
    await this.sessions.create(
      hashSessionToken(token),
      parseApiKey(apiKey)!.prefix,
      now,
      expiresAt,
    );
    return {
      info: this.info(principal.name, token, expiresAt),
      // The browser keeps the cookie for the longest a session can live; the server decides sooner.
      cookie: (secure) => sessionCookie(token, { maxAgeSeconds: sessionMaxSeconds, secure }),
    };
  }

  /** The principal of a live session token (renewing it), or null. */
  async principalOf(token: string): Promise<{ principal: Principal; info: SessionInfo } | null> {
    if (!isSessionToken(token)) return null;
    const { sessionIdleSeconds, sessionMaxSeconds } = this.config.console;
    const live = await this.sessions.touch(
      hashSessionToken(token),
      this.clock.now(),
      sessionIdleSeconds,
      sessionMaxSeconds,
    );
    if (!live || !live.roles.includes('admin')) return null;
    return {
      principal: { name: live.name, roles: SESSION_ROLES, group: live.name },
      info: this.info(live.name, token, live.expiresAt),
    };
  }

  async signOut(token: string | undefined): Promise<void> {
    if (isSessionToken(token))
      await this.sessions.revoke(hashSessionToken(token), this.clock.now());
  }

  clearedCookie(secure: boolean): string {
    return clearedSessionCookie(secure);
  }

  /**
   * Whether the cookie gets `Secure`: by setting, or (auto) when the request came over HTTPS —
   * Fastify's `request.protocol`, which takes `x-forwarded-proto` only from a TRUSTED_PROXIES
   * proxy (any client can send the header).
   */
  secureFor(request: Pick<FastifyRequest, 'protocol'>): boolean {
    const mode = this.config.console.cookieSecure;
    if (mode !== 'auto') return mode === 'always';
    return request.protocol === 'https';
  }

  private info(name: string, token: string, expiresAt: Date): SessionInfo {
    return {
      name,
      roles: SESSION_ROLES,
      expiresAt: expiresAt.toISOString(),
      csrfToken: csrfTokenFor(token),
    };
  }
}
