import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { PrismaModule } from './prisma/prisma.module.js';
import { RuntimeResources, type StopFn } from './runtime/runtime-resources.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, stops: StopFn[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), PrismaModule, HealthModule],
      providers: [{ provide: RuntimeResources, useValue: new RuntimeResources(stops) }],
    };
  }
}
