import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { CallbackSecretGuard } from './callback-secret.guard.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { ConsoleSessionService } from './session/console-session.service.js';
import { ConsoleSessionsRepository } from './session/console-sessions.repository.js';
import { SessionPrincipalResolver } from './session/session-principal.resolver.js';

/** API keys with roles on every route (authentication, then the per-key rate limit). */
@Global()
@Module({
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    CallbackSecretGuard,
    ConsoleSessionsRepository,
    ConsoleSessionService,
    SessionPrincipalResolver,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [ApiKeysService, ApiKeysRepository, CallbackSecretGuard, ConsoleSessionService],
})
export class AuthModule {}
