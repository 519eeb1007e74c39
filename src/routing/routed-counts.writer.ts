import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventKind } from '../bindings/binding-states.js';
import { OffPathWriter, type OffPathLines } from '../common/async/off-path-writer.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** Who asked, relative to the binding: one of its parties, or anyone else (refused). */
export type RoutedCaller = 'A' | 'B' | 'other';

/** One routing decision about a known binding, as counted. */
export interface RoutedDecision {
  bindingId: string;
  caller: RoutedCaller;
  /** `<status>/<source>/<reason>` of an answer, `refused/<reason>` of a refusal. */
  outcome: string;
  at: Date;
  /** The key's name: the actor of the decision's event, if it is the first of its kind. */
  actor: string;
  /**
   * The event's details (numbers masked), asked for only when its tally is written and its key
   * may still lack its row (the first decision of its kind): a repeated one builds nothing.
   */
  details: () => Record<string, unknown>;
}

/**
 * One (binding, caller, outcome) key's count in memory: the decisions since it was last taken
 * into a batch (count 0: none). It stays for the next decisions of its key, and is forgotten
 * once a whole interval passed without any. A lookup may hold on to it and count on it again
 * (`countAgain`) until it is forgotten.
 */
export interface Tally {
  key: string;
  bindingId: string;
  caller: RoutedCaller;
  outcome: string;
  count: number;
  first: number;
  last: number;
  actor: string;
  /** Built only when the batch is written, and only for a key not known to have its row yet. */
  details: () => Record<string, unknown>;
  /** No longer in the writer's map: counting on it would count nothing (see `countAgain`). */
  forgotten: boolean;
}

/** A tally as it was taken into a batch. */
interface Taken {
  tally: Tally;
  count: number;
  first: number;
  last: number;
}

/** A batch of tallies with the id it is written under, kept as it is until written. */
interface Batch {
  id: string;
  tallies: Taken[];
}

// One statement per batch, its input one JSON document (one native JSON.stringify). The batch
// is written once under its id: a retry of a batch whose first attempt did commit (the client
// timed out on a server that went on) adds nothing. Rows are taken in key order, so two
// instances flushing the same keys lock them in the same order. A count row that is new
// (xmax = 0: inserted, not updated) is the first decision of its kind for the binding: its
// event is written in the same statement. Bindings gone meanwhile are skipped.
const UPSERT = `
WITH batch AS (
  INSERT INTO routed_count_batches (id, written_at) VALUES ($2::uuid, now())
  ON CONFLICT (id) DO NOTHING
  RETURNING id
), input AS (
  SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
                  AS (b uuid, c text, o text, n int8, f float8, l float8, a text, d jsonb))
                WITH ORDINALITY AS e(b, c, o, n, f, l, a, d, k)
   WHERE EXISTS (SELECT 1 FROM batch)
), counted AS (
  INSERT INTO routed_counts (binding_id, caller, outcome, count, first_at, last_at)
  SELECT e.b, e.c, e.o, e.n, to_timestamp(e.f / 1000.0), to_timestamp(e.l / 1000.0)
    FROM input e
   WHERE EXISTS (SELECT 1 FROM bindings x WHERE x.id = e.b)
   ORDER BY e.b, e.c, e.o
  ON CONFLICT (binding_id, caller, outcome) DO UPDATE
     SET count = routed_counts.count + excluded.count,
         first_at = least(routed_counts.first_at, excluded.first_at),
         last_at = greatest(routed_counts.last_at, excluded.last_at)
  RETURNING binding_id, caller, outcome, count
)
INSERT INTO binding_events (binding_id, kind, actor, at, details)
SELECT e.b, '${EventKind.routed}', e.a, to_timestamp(e.f / 1000.0), e.d
  FROM counted c JOIN input e ON e.b = c.binding_id AND e.c = c.caller AND e.o = c.outcome
 -- Inserted, not added to: the count is this batch's own (routed_counts is partitioned, so its
 -- rows have no xmax to tell). A key sent without details has its row already (see written).
 WHERE c.count = e.n AND e.d IS NOT NULL
 -- In the order the decisions were first made (ties: the order the tallies began), so the
 -- timeline, which reads events of one moment by id, shows them as they happened.
 ORDER BY e.f, e.k`;

const PRUNE = `DELETE FROM routed_count_batches WHERE written_at < now() - interval '1 day'`;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Counts routing decisions off the lookup's path (issue 21): a lookup adds one to a tally in
 * memory, keyed by binding, caller and outcome, and nothing else; the tallies are upserted into
 * `routed_counts` in batches every ROUTING_COUNTS_FLUSH_MS (or once ROUTING_COUNTS_BATCH keys
 * wait), the first decision of each kind for a binding also kept as a `routed` event. So a hit
 * costs a map update, and a binding looked up a thousand times costs one row.
 *
 * Nothing counted is lost or counted twice while the database is away: a batch whose write
 * failed is kept as it is, under its id, and tried again on the timer (decisions counted
 * meanwhile go into new tallies); its id makes the retry add nothing if the first attempt did
 * commit after all. While one batch waits to be written again no other is taken, so what is
 * kept is that batch (at most ROUTING_COUNTS_BATCH keys) and the tallies counted since, at most
 * ROUTING_COUNTS_MAX_KEYS distinct keys: a bound on keys, not on decisions. Past it, decisions
 * of new keys are dropped, counted in
 * `axb_routing_decisions_dropped_total` and said in the log (when it starts, and how many when
 * writes work again). Shutdown writes what is left (GracefulShutdown, then onModuleDestroy).
 */
@Injectable()
export class RoutedCountsWriter extends OffPathWriter {
  protected readonly logger = new Logger(RoutedCountsWriter.name);
  protected readonly lines: OffPathLines = {
    dropping: () =>
      `Routing decisions are being dropped: ${this.config.routing.countsMaxKeys} distinct ` +
      `(binding, caller, outcome) keys already wait for the database (ROUTING_COUNTS_MAX_KEYS); ` +
      `the count is in axb_routing_decisions_dropped_total`,
    dropped: (count) =>
      `${count} routing decisions were dropped while the database was away ` +
      `(more than ROUTING_COUNTS_MAX_KEYS keys waited)`,
    failed: (reason) =>
      `Writing routing decision counts failed; ${this.decisionsWaiting()} decisions kept ` +
      `(${this.pending} keys) and retried every ${this.config.routing.countsFlushMs} ms: ${reason}`,
    recovered: () => 'Routing decision counts are written again',
    lost: (reason) =>
      `${this.decisionsWaiting()} routing decisions could not be written at shutdown: ${reason}`,
  };
  private tallies = new Map<string, Tally>();
  /** Tallies with decisions waiting (count > 0). */
  private waiting = 0;
  /** Batches whose write failed, oldest first, retried as they are. */
  private failed: Batch[] = [];
  private failedKeys = 0;
  private prunedAt = 0;
  /**
   * Keys this instance has written (so their count rows exist: they go only with their binding):
   * their tallies are sent without the event's details, which only a new row's event needs.
   * Bounded like the tallies; forgetting a key costs only its details being sent again.
   */
  private readonly written = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly metrics: MetricsService,
  ) {
    super(config.routing.countsFlushMs, config.database.queryTimeoutMs, 'error');
  }

  /** Distinct (binding, caller, outcome) keys waiting to be written. */
  get pending(): number {
    return this.waiting + this.failedKeys;
  }

  /**
   * Counts one decision. Never waits and never throws: the lookup has its answer already.
   * Returns the tally it was counted on (undefined when dropped), which the caller may keep and
   * count the same kind of decision on again with `countAgain`.
   */
  count(decision: RoutedDecision): Tally | undefined {
    const key = `${decision.bindingId}\u0000${decision.caller}\u0000${decision.outcome}`;
    const at = decision.at.getTime();
    const tally = this.tallies.get(key);
    if (tally) {
      this.countOn(tally, at);
      return tally;
    }
    if (this.waiting >= this.config.routing.countsMaxKeys) {
      this.drop(1);
      return undefined;
    }
    const made: Tally = {
      key,
      bindingId: decision.bindingId,
      caller: decision.caller,
      outcome: decision.outcome,
      count: 1,
      first: at,
      last: at,
      actor: decision.actor,
      details: decision.details,
      forgotten: false,
    };
    this.tallies.set(key, made);
    this.waiting += 1;
    this.scheduleFor();
    return made;
  }

  /**
   * One decision on a tally of the map. A tally whose count a write took (0) waits again as a
   * new key would: past ROUTING_COUNTS_MAX_KEYS keys waiting, the decision is dropped.
   */
  private countOn(tally: Tally, at: number): void {
    if (tally.count === 0) {
      if (this.waiting >= this.config.routing.countsMaxKeys) {
        this.drop(1);
        return;
      }
      tally.count = 1;
      tally.first = at;
      tally.last = at;
      this.waiting += 1;
      this.scheduleFor();
      return;
    }
    tally.count += 1;
    if (at > tally.last) tally.last = at;
    if (at < tally.first) tally.first = at;
  }

  /** A write soon: at once when a batch's worth of keys wait, else within the interval. */
  private scheduleFor(): void {
    if (this.waiting >= this.config.routing.countsBatch) void this.flush();
    else this.schedule();
  }

  /**
   * Counts one more decision on a tally `count` returned, at `at` (ms), as `count` would with a
   * decision of its key (dropped too, past the bound): true. False when the tally was forgotten
   * since (or there is none), with nothing counted: the caller counts with `count`. A cache hit
   * counts this way without building its key or a decision (issue 21).
   */
  countAgain(tally: Tally | undefined, at: number): boolean {
    if (tally === undefined || tally.forgotten) return false;
    this.countOn(tally, at);
    return true;
  }

  protected countDropped(count: number): void {
    this.metrics.routingDecisionsDropped.inc(count);
  }

  protected async drain(): Promise<void> {
    this.forgetIdle();
    for (;;) {
      const batch = this.failed[0] ?? this.next();
      if (!batch) break;
      try {
        await this.write(batch);
      } catch (error) {
        if (this.failed[0] !== batch) {
          this.failed.push(batch);
          this.failedKeys += batch.tallies.length;
        }
        this.reportFailure(error);
        throw error;
      }
      if (this.failed[0] === batch) {
        this.failed.shift();
        this.failedKeys -= batch.tallies.length;
      }
      this.recovered();
    }
    await this.prune();
  }

  /**
   * Forgets the tallies nothing was counted on since the last write took them (a whole interval
   * at least): the map holds the keys in use, not every key ever counted.
   */
  private forgetIdle(): void {
    for (const [key, tally] of this.tallies) {
      if (tally.count !== 0) continue;
      tally.forgotten = true;
      this.tallies.delete(key);
    }
  }

  /**
   * The next batch: up to ROUTING_COUNTS_BATCH tallies with decisions waiting (the oldest keys
   * first), taken as they are (their counts start again from 0), under a new id.
   */
  private next(): Batch | undefined {
    if (this.waiting === 0) return undefined;
    const tallies: Taken[] = [];
    for (const tally of this.tallies.values()) {
      if (tallies.length >= this.config.routing.countsBatch) break;
      if (tally.count === 0) continue;
      tallies.push({ tally, count: tally.count, first: tally.first, last: tally.last });
      tally.count = 0;
      this.waiting -= 1;
    }
    return { id: randomUUID(), tallies };
  }

  private async write(batch: Batch): Promise<void> {
    await this.prisma.pgPool.query({
      name: 'routed-counts-upsert',
      text: UPSERT,
      values: [
        JSON.stringify(
          batch.tallies.map(({ tally: t, count, first, last }) => ({
            b: t.bindingId,
            c: t.caller,
            o: t.outcome,
            n: count,
            f: first,
            l: last,
            a: t.actor,
            d: this.written.has(t.key) ? null : t.details(),
          })),
        ),
        batch.id,
      ],
    });
    if (this.written.size + batch.tallies.length > this.config.routing.countsMaxKeys)
      this.written.clear();
    for (const t of batch.tallies) this.written.add(t.tally.key);
  }

  /** Batch ids are kept a day: far longer than any retry of theirs can come. */
  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.prisma.pgPool.query(PRUNE).catch(() => (this.prunedAt = 0));
  }

  private decisionsWaiting(): number {
    let n = 0;
    for (const t of this.tallies.values()) n += t.count;
    for (const b of this.failed) for (const t of b.tallies) n += t.count;
    return n;
  }
}
