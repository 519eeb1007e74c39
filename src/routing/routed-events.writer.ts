import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { EventKind } from '../bindings/binding-states.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PrismaService } from '../prisma/prisma.service.js';

export interface RoutedEvent {
  bindingId: string;
  actor: string;
  at: Date;
  details: Record<string, unknown>;
}

/** Queued events beyond this many batches make lookups wait for a write (back-pressure). */
const HIGH_WATER_BATCHES = 20;
/** While the database refuses writes, at most this many batches are held before the oldest go. */
const HARD_CAP_BATCHES = 200;

// The batch goes as one JSON document: one native JSON.stringify here instead of per-element
// escaping of four array parameters, which cost the event loop more than the lookups themselves.
// Times go as epoch milliseconds: Date's toJSON was half of the stringify's cost per event.
const INSERT = `INSERT INTO binding_events (binding_id, kind, actor, at, details)
SELECT e.b, '${EventKind.routed}', e.a, to_timestamp(e.t / 1000.0), e.d
  FROM jsonb_to_recordset($1::jsonb) AS e(b uuid, a text, t float8, d jsonb)`;

/**
 * Writes `routed` events in batches, off the lookup's path: a cache hit is one read, and an insert
 * per lookup would cost as much again. Each event keeps the time of its decision. Events wait here
 * at most ROUTING_EVENT_FLUSH_MS (or until a batch is full); shutdown writes what is queued. The
 * trade-off, documented in the README: a crash can lose the last few milliseconds of routed events.
 * When writes fall behind, lookups wait for them rather than events being dropped; only a database
 * that refuses writes for long makes the oldest queued events go, with an error in the log.
 */
@Injectable()
export class RoutedEventsWriter implements OnModuleDestroy {
  private readonly logger = new Logger(RoutedEventsWriter.name);
  private queue: RoutedEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** Queues one event; returns a promise to await when the queue is over its high-water mark. */
  record(event: RoutedEvent): Promise<void> | undefined {
    this.queue.push(event);
    const batch = this.config.routing.eventBatch;
    if (this.queue.length >= batch * HIGH_WATER_BATCHES) return this.flush();
    if (this.queue.length >= batch) void this.flush();
    else this.schedule();
    return undefined;
  }

  /** Writes everything queued so far (and whatever arrives meanwhile). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // Left over after a failed write: try again on the timer, not in a tight loop.
      if (this.queue.length > 0) this.schedule();
    });
    return this.running;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.config.routing.eventFlushMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    const size = this.config.routing.eventBatch;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, size);
      try {
        const rows = batch.map((e) => ({
          b: e.bindingId,
          a: e.actor,
          t: e.at.getTime(),
          d: e.details,
        }));
        await this.prisma.pgPool.query(INSERT, [JSON.stringify(rows)]);
        this.queue.splice(0, batch.length);
      } catch (error) {
        this.shed(size);
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.error(`Writing ${batch.length} routed events failed (retrying): ${reason}`);
        return;
      }
    }
  }

  private shed(size: number): void {
    const excess = this.queue.length - size * HARD_CAP_BATCHES;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.logger.error(`Dropped ${excess} routed events: the database refused writes too long`);
  }
}
