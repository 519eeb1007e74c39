import { Global, Module } from '@nestjs/common';
import { LogThrottle } from './log-throttle.js';

/** What every module may log through besides its own Logger: the throttle of designed refusals. */
@Global()
@Module({ providers: [LogThrottle], exports: [LogThrottle] })
export class LoggingModule {}
