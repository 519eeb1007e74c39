import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { AuthFailureThrottle } from './auth-failure.throttle.js';
import type { Principal } from './principal.js';
import { PrincipalResolver } from './principal-resolver.js';
import { RouteAccessTable, type RouteAccess } from './route-access.js';
import { TokenBuckets } from './token-bucket.js';

/**
 * Access control as the first step of every request (a Fastify onRequest hook), before the body
 * is read or parsed: so a caller without a valid key learns nothing from a body it sends (401, not
 * 400), and access is decided on the route Fastify matched after normalising the URL. Then the
 * per-key rate limit (429 with Retry-After). Unmatched routes fall through to the 404/405 answer.
 * Failed authentications are counted per client address (AuthFailureThrottle): an address over
 * its limit is refused before its credentials are looked up.
 */
@Injectable()
export class AccessHook {
  private readonly buckets: TokenBuckets;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly table: RouteAccessTable,
    private readonly principals: PrincipalResolver,
    private readonly failures: AuthFailureThrottle,
  ) {
    this.buckets = new TokenBuckets(config.auth.rateLimitPerSecond, config.auth.rateLimitBurst);
  }

  install(fastify: FastifyInstance): void {
    this.table.load();
    // Callback form: a request decided without a wait (see check) costs no promise at all.
    fastify.addHook('onRequest', (request, reply, done) => {
      let looking: Promise<void> | undefined;
      try {
        looking = this.check(request, reply);
      } catch (error) {
        done(error as Error);
        return;
      }
      if (looking) looking.then(() => done(), done);
      else done();
    });
  }

  /**
   * Lets the request through or throws its refusal. Decided at once (undefined) for a public
   * route, and for a bearer key the key cache holds as valid (the principal `resolve` would
   * give: the first source); otherwise the key is looked up, and the promise settles likewise.
   */
  private check(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const route = request.routeOptions.url;
    if (route === undefined) return undefined;
    const access = this.table.lookup(request.method, route);
    // A public route (health, the console's files and sign-in) never waits for a credential:
    // checking a key may need the database, and a probe must answer whatever the database does.
    // A handler that wants to know its caller asks the PrincipalResolver within its own deadline
    // (readiness does, for its details).
    if (access.public) return undefined;
    // Before any database work: an address throttled for failed authentications gets nothing
    // looked up.
    const throttled = this.failures.retryAfter(request.ip);
    if (throttled > 0) throw this.failures.refusal(request, reply, throttled);
    const known = this.principals.known(request);
    if (known !== undefined) {
      this.admit(request, reply, access, known);
      return undefined;
    }
    // Other routes fail when the key cannot be looked up: the error filter maps an unavailable
    // database to 503.
    return this.principals
      .resolve(request, access)
      .catch((error: unknown) => {
        if (error instanceof UnauthorizedException) this.failures.fail(request.ip); // ended session
        throw error;
      })
      .then((principal) => this.admit(request, reply, access, principal));
  }

  /** The decision on the caller found (`null`: a key that is not valid; undefined: none). */
  private admit(
    request: FastifyRequest,
    reply: FastifyReply,
    access: RouteAccess,
    principal: Principal | null | undefined,
  ): void {
    if (principal === null) this.failures.fail(request.ip);
    if (principal) {
      request.principal = principal;
      request.actor = principal.name;
    }
    if (principal === undefined) {
      void reply.header('www-authenticate', 'Bearer');
      throw new DomainError(
        'UNAUTHENTICATED',
        'An API key is required: Authorization: Bearer <key>',
        401,
      );
    }
    if (principal === null) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new DomainError('INVALID_API_KEY', 'The API key is not valid', 401);
    }
    if (!access.roles.some((r) => principal.roles.includes(r))) {
      throw new DomainError(
        'FORBIDDEN_ROLE',
        access.roles.length
          ? `This key may not call this route (needs one of: ${access.roles.join(', ')})`
          : 'This route is closed',
        403,
      );
    }
    this.limit(principal, reply);
  }

  /** The per-key rate limit: a token taken, or 429 with Retry-After. */
  private limit(principal: Principal, reply: FastifyReply): void {
    const wait = this.buckets.take(principal.name, this.clock.now().getTime());
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      throw new DomainError(
        'RATE_LIMITED',
        `Too many requests for this key; retry in ${wait} s`,
        429,
        { retryAfterSeconds: wait },
      );
    }
  }
}
