import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DyplsapiClient } from './dyplsapi/dyplsapi.client.js';
import { PROVIDER_CALL_OBSERVER, type ProviderCallObserver } from './provider-call.observer.js';
import { PROVIDER } from './provider.port.js';

/**
 * Provides PROVIDER (the ProviderPort) as a Dyplsapi client built from APP_CONFIG. Global, so
 * feature modules inject PROVIDER without importing this module. To attach metrics, provide
 * PROVIDER_CALL_OBSERVER in a global module; it is optional.
 */
@Global()
@Module({
  providers: [
    {
      provide: DyplsapiClient,
      inject: [APP_CONFIG, { token: PROVIDER_CALL_OBSERVER, optional: true }],
      useFactory: (config: AppConfig, observer?: ProviderCallObserver) =>
        new DyplsapiClient(config.provider, { observer }),
    },
    // An alias, so the pool is created (and closed on shutdown) once.
    { provide: PROVIDER, useExisting: DyplsapiClient },
  ],
  exports: [PROVIDER, DyplsapiClient],
})
export class ProviderModule {}
