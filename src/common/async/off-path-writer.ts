import type { Logger, OnModuleDestroy } from '@nestjs/common';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';

/** What a writer says in the log, in its own words (called when said: counts are current). */
export interface OffPathLines {
  /** Records start being dropped (said once, at `dropLevel`). */
  dropping(): string;
  /** How many were dropped, said once writes work again. */
  dropped(count: number): string;
  /** A write failed (said once until one succeeds); what is kept and retried. */
  failed(reason: string): string;
  /** Writes work again. */
  recovered(): string;
  /** Shutdown's deadline passed with records still waiting. */
  lost(reason: string): string;
}

/**
 * The one skeleton of the writers that take records off a request's path (routing decisions'
 * counts, routing answers' access_log rows): the request notes a record in memory, never waiting
 * and never throwing; the subclass's `drain()` writes what waits in batches, on a timer every
 * `intervalMs` (or at once, `flush()`); a failed write keeps what it held and is tried again on
 * the timer, not in a tight loop; past the subclass's bound, records are dropped, counted
 * (`countDropped`) and said once; shutdown (`finish`, from GracefulShutdown, then Nest's
 * onModuleDestroy) writes what is left, trying again until its deadline.
 */
export abstract class OffPathWriter implements OnModuleDestroy {
  protected abstract readonly logger: Logger;
  protected abstract readonly lines: OffPathLines;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private droppedCount = 0;
  private failing = false;

  constructor(
    private readonly intervalMs: number,
    private readonly shutdownDeadlineMs: number,
    private readonly dropLevel: 'warn' | 'error',
  ) {}

  /** Records (or keys) waiting to be written. */
  abstract get pending(): number;

  /** Writes what waits, batch by batch; keeps what a failed write held, then rethrows. */
  protected abstract drain(): Promise<void>;

  /** Counts dropped records in the writer's metric. */
  protected abstract countDropped(count: number): void;

  /** Writes everything noted so far (and whatever is noted meanwhile); rejects if it cannot. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // Left over after a failed write: try again on the timer, not in a tight loop.
      if (this.pending > 0) this.schedule();
    });
    return this.running;
  }

  /**
   * Shutdown: writes what is left, trying again (every interval) until `deadlineMs` has passed;
   * what still cannot be written is said in the log.
   */
  async finish(deadlineMs = this.shutdownDeadlineMs): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      if (this.pending === 0 && !this.running) return;
      try {
        await this.flush();
        if (this.pending === 0) return;
      } catch (error) {
        if (Date.now() + this.intervalMs >= deadline) {
          this.logger.error(this.lines.lost(reasonOf(error)));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.finish();
  }

  /** A write within an interval, unless one is due or running. */
  protected schedule(): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined); // reported by reportFailure(); retried on the timer
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Records not kept: counted, and said when dropping starts. */
  protected drop(count: number): void {
    if (count <= 0) return;
    if (this.droppedCount === 0) this.logger[this.dropLevel](this.lines.dropping());
    this.droppedCount += count;
    this.countDropped(count);
  }

  /** A write succeeded: says so after failures, and how many were dropped meanwhile. */
  protected recovered(): void {
    if (this.failing) {
      this.failing = false;
      this.logger.log(this.lines.recovered());
    }
    if (this.droppedCount > 0) {
      this.logger.warn(this.lines.dropped(this.droppedCount));
      this.droppedCount = 0;
    }
  }

  /** A write failed: said once until one succeeds (warn while the database is away). */
  protected reportFailure(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const line = this.lines.failed(reasonOf(error));
    if (isDatabaseUnavailable(error)) this.logger.warn(line);
    else this.logger.error(line);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
