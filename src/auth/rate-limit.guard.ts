import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AuthenticatedRequest } from './api-key.guard.js';
import { TokenBuckets } from './token-bucket.js';

/**
 * Per-key rate limit (in this instance): over the limit is a 429 with Retry-After. Runs after
 * ApiKeyGuard, so it only sees authenticated callers; public routes are not limited.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets: TokenBuckets;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.buckets = new TokenBuckets(config.auth.rateLimitPerSecond, config.auth.rateLimitBurst);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const caller = http.getRequest<AuthenticatedRequest>().principal?.name;
    if (!caller) return true;
    const wait = this.buckets.take(caller, this.clock.now().getTime());
    if (wait === 0) return true;
    void http.getResponse<FastifyReply>().header('retry-after', String(wait));
    throw new HttpException(
      {
        code: 'RATE_LIMITED',
        message: `Too many requests for this key; retry in ${wait} s`,
        retryAfterSeconds: wait,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
