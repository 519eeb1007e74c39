import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { BindingsModule } from './bindings/bindings.module.js';
import { CallsModule } from './calls/calls.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import type { Clock } from './common/clock/clock.js';
import { ClockModule } from './common/clock/clock.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { InventoryModule } from './inventory/inventory.module.js';
import { PrismaModule } from './prisma/prisma.module.js';
import { ProviderModule } from './provider/provider.module.js';
import { RoutingModule } from './routing/routing.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { ProviderCallbacksModule } from './routing/callbacks/provider-callbacks.module.js';
import { RuntimeResources, type StopFn } from './runtime/runtime-resources.js';
import { SchedulerModule } from './scheduler/scheduler.module.js';
import { ConsoleModule } from './console/console.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { LifecycleModule } from './runtime/lifecycle.module.js';
import { PrivacyModule } from './common/privacy/privacy.module.js';
import { HistoryModule } from './history/history.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

export interface AppModuleOptions {
  /** Stopped after the app: what main.ts started outside Nest. */
  stops?: StopFn[];
  /** Replaces the system clock (tests). */
  clock?: Clock;
  /** Modules added beside the product's (the routing benchmark's baseline route). */
  extraModules?: Array<Type | DynamicModule>;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        AuthModule,
        MetricsModule,
        ClockModule.forRoot(options.clock),
        PrivacyModule,
        LoggingModule,
        PrismaModule,
        ProviderModule,
        HealthModule,
        InventoryModule,
        BindingsModule,
        RoutingModule,
        CallsModule,
        ProviderCallbacksModule,
        MessagesModule,
        HistoryModule,
        SchedulerModule,
        ConsoleModule,
        OperationsModule,
        WebhooksModule,
        ...(options.extraModules ?? []),
      ],
      providers: [
        { provide: RuntimeResources, useValue: new RuntimeResources(options.stops ?? []) },
      ],
    };
  }
}
