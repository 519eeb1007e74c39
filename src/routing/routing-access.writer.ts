import { Inject, Injectable, Logger } from '@nestjs/common';
import { OffPathWriter, type OffPathLines } from '../common/async/off-path-writer.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** The route named in access_log by a routing answer that carried a real number. */
export const ROUTING_ACCESS_ROUTE = 'POST /v1/routing/lookup';
/** Most answers kept waiting for the database (about 200 bytes each: ~2 MB). */
export const ROUTING_ACCESS_MAX_PENDING = 10_000;

/** One routing answer that handed a party the other party's real number. */
export interface RoutingAccess {
  /** The key's name. */
  actor: string;
  bindingId: string;
  requestId: string;
  at: Date;
}

// One statement per batch; the number itself is never written, only which binding it was.
const INSERT = `
INSERT INTO access_log (actor, route, binding_ids, request_id, at)
SELECT e.actor, $1, ARRAY[e.binding_id], e.request_id, e.at
  FROM unnest($2::text[], $3::uuid[], $4::text[], $5::timestamptz[])
    AS e(actor, binding_id, request_id, at)`;

/**
 * Records in access_log every routing answer that carries the other party's real number
 * (status 3 with a number to dial: the fallback), issue 27. Batched off the answer's path, not
 * written before the answer as the order routes' answers are: a fallback is given exactly when
 * something is broken (the provider, X), and the database may be slow or away too; a caller
 * waiting to be connected must get the number without waiting for the log, and the answer must
 * not fail because the log cannot be written. So a lookup appends to a list in memory (nothing
 * for answers dialling X), written every ROUTING_COUNTS_FLUSH_MS in one INSERT; a failed write
 * keeps the entries and is tried again on the timer (a retry after a write that did commit
 * unseen records the answers twice: a record overstated, never one missing). At most
 * ROUTING_ACCESS_MAX_PENDING entries wait; past that they are dropped, counted in
 * `axb_routing_access_dropped_total` and said once in the log (warn) until writes work again.
 * Shutdown writes what is left (GracefulShutdown, then onModuleDestroy). The timer, retries,
 * drops and shutdown are OffPathWriter's.
 */
@Injectable()
export class RoutingAccessWriter extends OffPathWriter {
  protected readonly logger = new Logger(RoutingAccessWriter.name);
  protected readonly lines: OffPathLines = {
    dropping: () =>
      `Routing answers with a real number are not being recorded in access_log: ` +
      `${ROUTING_ACCESS_MAX_PENDING} already wait for the database; the count is in ` +
      `axb_routing_access_dropped_total`,
    dropped: (count) =>
      `${count} routing answers with a real number were not recorded in access_log ` +
      `(more than ${ROUTING_ACCESS_MAX_PENDING} waited for the database)`,
    failed: (reason) =>
      `Recording routing answers in access_log failed; ${this.entries.length} kept and retried ` +
      `every ${this.config.routing.countsFlushMs} ms: ${reason}`,
    recovered: () => 'Routing answers with a real number are recorded in access_log again',
    lost: (reason) =>
      `${this.entries.length} routing answers with a real number could not be recorded ` +
      `in access_log at shutdown: ${reason}`,
  };
  private entries: RoutingAccess[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
  ) {
    super(config.routing.countsFlushMs, config.database.queryTimeoutMs, 'warn');
  }

  /** Answers waiting to be written. */
  get pending(): number {
    return this.entries.length;
  }

  /** Notes one answer. Never waits and never throws: the caller has the answer already. */
  record(entry: RoutingAccess): void {
    if (this.entries.length >= ROUTING_ACCESS_MAX_PENDING) {
      this.drop(1);
      return;
    }
    this.entries.push(entry);
    this.schedule();
  }

  protected countDropped(count: number): void {
    this.metrics.routingAccessDropped.inc(count);
  }

  protected async drain(): Promise<void> {
    while (this.entries.length > 0) {
      const batch = this.entries;
      this.entries = [];
      try {
        await this.prisma.pgPool.query({
          name: 'routing-access-insert',
          text: INSERT,
          values: [
            ROUTING_ACCESS_ROUTE,
            batch.map((e) => e.actor),
            batch.map((e) => e.bindingId),
            batch.map((e) => e.requestId),
            batch.map((e) => e.at),
          ],
        });
      } catch (error) {
        // Kept, oldest first, within the bound (what was noted meanwhile goes after).
        const kept = batch.concat(this.entries);
        this.entries = kept.slice(0, ROUTING_ACCESS_MAX_PENDING);
        this.drop(kept.length - this.entries.length);
        this.reportFailure(error);
        throw error;
      }
      this.recovered();
    }
  }
}
