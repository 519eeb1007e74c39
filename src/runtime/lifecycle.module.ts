import { Global, Module } from '@nestjs/common';
import { GracefulShutdown } from './graceful-shutdown.js';
import { Lifecycle } from './lifecycle.js';

/** The process's life: where it is (Lifecycle) and the one shutdown sequence (GracefulShutdown). */
@Global()
@Module({ providers: [Lifecycle, GracefulShutdown], exports: [Lifecycle, GracefulShutdown] })
export class LifecycleModule {}
