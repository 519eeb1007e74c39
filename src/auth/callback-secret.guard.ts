import {
  ForbiddenException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { sameSecret } from './api-key.js';

/**
 * The provider's pushes must also carry the shared CALLBACK_SECRET (header `x-callback-secret`, or
 * `?secret=` in the URL configured at the provider). With no secret configured, pushes are refused.
 */
@Injectable()
export class CallbackSecretGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const expected = this.config.auth.callbackSecret;
    if (!expected)
      throw new ForbiddenException({
        code: 'CALLBACKS_DISABLED',
        message: 'Set CALLBACK_SECRET to accept provider pushes',
      });
    const header = request.headers['x-callback-secret'];
    const query = (request.query as Record<string, unknown> | undefined)?.secret;
    const given =
      typeof header === 'string' && header ? header : typeof query === 'string' ? query : '';
    if (!sameSecret(given, expected)) {
      throw new ForbiddenException({
        code: 'BAD_CALLBACK_SECRET',
        message: 'The callback secret does not match',
      });
    }
    return true;
  }
}
