import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AccessHook } from './access.hook.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { BearerKeySource } from './bearer-key.source.js';
import { CallbackSecretGuard } from './callback-secret.guard.js';
import { CREDENTIAL_SOURCES } from './credential-source.js';
import { PrincipalResolver } from './principal-resolver.js';
import { QueryKeySource } from './query-key.source.js';
import { RouteAccessTable } from './route-access.js';
import { ConsoleSessionService } from './session/console-session.service.js';
import { ConsoleSessionsRepository } from './session/console-sessions.repository.js';
import { SessionCookieSource } from './session/session-cookie.source.js';

/**
 * Access: who a request is (credential sources → principal), what each route allows (roles from
 * the controllers), checked by one Fastify hook before the body is parsed; then a per-key rate
 * limit. Credentials: a Bearer key, a `?key=` on provider routes, the console's session cookie.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    CallbackSecretGuard,
    BearerKeySource,
    QueryKeySource,
    ConsoleSessionsRepository,
    ConsoleSessionService,
    SessionCookieSource,
    {
      provide: CREDENTIAL_SOURCES,
      useFactory: (
        bearerKey: BearerKeySource,
        queryKey: QueryKeySource,
        session: SessionCookieSource,
      ) => [bearerKey, queryKey, session],
      inject: [BearerKeySource, QueryKeySource, SessionCookieSource],
    },
    PrincipalResolver,
    RouteAccessTable,
    AccessHook,
  ],
  exports: [
    ApiKeysService,
    ApiKeysRepository,
    CallbackSecretGuard,
    AccessHook,
    RouteAccessTable,
    PrincipalResolver,
    ConsoleSessionService,
  ],
})
export class AuthModule {}
