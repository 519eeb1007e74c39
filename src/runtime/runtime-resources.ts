import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';

/** What main.ts started outside Nest (embedded Postgres, the simulator), stopped last. */
export type StopFn = () => Promise<void>;
export const RUNTIME_STOP = Symbol('RUNTIME_STOP');

/**
 * Stops the embedded dependencies after every module has shut down. onApplicationShutdown is
 * this phase's alone: every database pool closes before it (Prisma's in onModuleDestroy, the
 * webhook deliveries' in beforeApplicationShutdown), so none is open when the database stops.
 */
@Injectable()
export class RuntimeResources implements OnApplicationShutdown {
  private readonly logger = new Logger(RuntimeResources.name);
  private stopping?: Promise<void>;

  constructor(private readonly stops: StopFn[]) {}

  onApplicationShutdown(): Promise<void> {
    this.stopping ??= (async () => {
      for (const stop of [...this.stops].reverse()) {
        try {
          await stop();
        } catch (error) {
          this.logger.error(`Stopping an embedded dependency failed: ${String(error)}`);
        }
      }
    })();
    return this.stopping;
  }
}
