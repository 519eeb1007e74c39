import { Injectable } from '@nestjs/common';

/**
 * Where the process is in its life, for the parts that must act on shutdown at once: readiness
 * answers 503 from the moment shutdown begins, responses ask clients to close their connections,
 * and jobs and consumers stop taking new work (they watch `stopping`). GracefulShutdown
 * (graceful-shutdown.ts) is the one that begins it.
 */
@Injectable()
export class Lifecycle {
  private readonly shutdown = new AbortController();

  /** Aborted when shutdown begins. */
  get stopping(): AbortSignal {
    return this.shutdown.signal;
  }

  get draining(): boolean {
    return this.shutdown.signal.aborted;
  }

  beginShutdown(): void {
    if (!this.draining) this.shutdown.abort(new Error('shutting down'));
  }
}
