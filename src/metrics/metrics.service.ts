import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Prisma } from '../generated/prisma/client.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import type {
  ProviderCallEvent,
  ProviderCallObserver,
} from '../provider/provider-call.observer.js';

export interface RoutingTally {
  labels: { status: string; source: string };
  count: number;
}

/**
 * Prometheus metrics. Labels never carry a phone number: routes are templates
 * (`/v1/bindings/:id`), provider labels are action names and Codes, pools are PoolKeys.
 */
@Injectable()
export class MetricsService implements ProviderCallObserver {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'axb_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpErrors = new Counter({
    name: 'axb_http_errors_total',
    help: 'HTTP error answers (4xx/5xx) by route template, method, status and error code',
    labelNames: ['method', 'route', 'status', 'code'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'axb_http_request_duration_seconds',
    help: 'HTTP request latency by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly providerCalls = new Counter({
    name: 'axb_provider_calls_total',
    help: 'Dyplsapi call attempts by action, Code (or failure kind) and outcome',
    labelNames: ['action', 'code', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly providerDuration = new Histogram({
    name: 'axb_provider_call_duration_seconds',
    help: 'Dyplsapi call attempt latency by action',
    labelNames: ['action'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /**
   * Routing decisions by status and source, counted here and handed to prom-client when the
   * metrics are read (its `collect`): a lookup adds one to a plain tally, where prom-client's
   * labelled inc checks the labels and hashes them on every call (about 1 % of a cache hit's
   * thread time in a profile). Reads see every decision counted before them.
   */
  private readonly routingTallies = new Map<string, RoutingTally>();
  readonly routingDecisions: Counter<'status' | 'source'> = new Counter({
    name: 'axb_routing_decisions_total',
    help: 'Routing lookups by answered status and decision source',
    labelNames: ['status', 'source'] as const,
    registers: [this.registry],
    collect: () => {
      for (const tally of this.routingTallies.values()) {
        if (tally.count === 0) continue;
        this.routingDecisions.inc(tally.labels, tally.count);
        tally.count = 0;
      }
    },
  });
  readonly routingDecisionsDropped = new Counter({
    name: 'axb_routing_decisions_dropped_total',
    help: 'Routing decisions not counted: ROUTING_COUNTS_MAX_KEYS keys waited for the database',
    registers: [this.registry],
  });
  readonly routingAccessDropped = new Counter({
    name: 'axb_routing_access_dropped_total',
    help: 'Routing answers with a real number not recorded in access_log: too many waited for the database',
    registers: [this.registry],
  });
  readonly schedulerRuns = new Counter({
    name: 'axb_scheduler_runs_total',
    help: 'Scheduler job runs by job and result',
    labelNames: ['job', 'result'] as const,
    registers: [this.registry],
  });
  /** The record's partitions (src/scheduler/history.job.ts). */
  readonly historyOutsidePartitions = new Gauge({
    name: 'axb_history_rows_outside_partitions',
    help: 'Bindings written while their month had no partition (held by the DEFAULT partition)',
    registers: [this.registry],
  });
  readonly historyMovedFromDefault = new Counter({
    name: 'axb_history_rows_moved_from_default_total',
    help: 'Rows moved out of a DEFAULT partition when their month partition was made',
    registers: [this.registry],
  });
  readonly historyMonthsKept = new Counter({
    name: 'axb_history_months_kept_live_total',
    help: 'Month partitions past retention not dropped: a binding in them is not over, or an old (v4 id) one is not past retention',
    registers: [this.registry],
  });
  /** The bind path's group commit (src/bindings/placement.repository.ts): its rounds. */
  readonly bindRoundItems = new Histogram({
    name: 'axb_bind_round_items',
    help: 'Placements and settles of BindAxb answers written by one bind round (one statement, one commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly bindRoundDuration = new Histogram({
    name: 'axb_bind_round_duration_seconds',
    help: 'Bind round duration, from its statement sent to its answer in hand (commit included)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly bindRoundWait = new Histogram({
    name: 'axb_bind_round_wait_seconds',
    help: 'How long a placement or settle waited for its bind round to go out (behind the round in flight)',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly schedulerDuration = new Histogram({
    name: 'axb_scheduler_run_duration_seconds',
    help: 'Scheduler job run duration by job',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(admin: AdminReadsDatabase, @Inject(APP_CONFIG) config: AppConfig, clock: Clock) {
    const maxPairs = config.pools.maxPairsPerX;
    collectDefaultMetrics({ register: this.registry, prefix: 'axb_' });
    // Read at scrape time, so it is always current and costs nothing between scrapes; a scrape
    // is an admin read (its own pool: it counts every held number's live pairs).
    new Gauge({
      name: 'axb_pool_free_pairs',
      help: 'Free AXB pair capacity of healthy held numbers, by pool and city',
      labelNames: ['pool', 'city'] as const,
      registers: [this.registry],
      async collect() {
        const now = clock.now();
        const rows = await admin.read((db) =>
          db.$queryRaw<Array<{ pool: string; city: string; free: number }>>(Prisma.sql`
          SELECT n.pool_key AS pool, n.city,
                 coalesce(sum(greatest(${maxPairs} - x_live_pairs(n.number, ${now}), 0)), 0)::int
                   AS free
            FROM secret_numbers n WHERE n.state = 'active' AND n.health = 'normal'
           GROUP BY n.pool_key, n.city`),
        );
        this.reset();
        for (const r of rows) this.set({ pool: r.pool, city: r.city }, r.free);
      },
    });
  }

  onCall(event: ProviderCallEvent): void {
    this.providerCalls.inc({
      action: event.action,
      code: event.code ?? event.outcome,
      outcome: event.outcome,
    });
    this.providerDuration.observe({ action: event.action }, event.durationMs / 1000);
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  }

  /** Every error answer, by its code (`NONE` when it was answered without one). */
  observeHttpError(method: string, route: string, status: number, code = 'NONE'): void {
    this.httpErrors.inc({ method, route, status: String(status), code });
  }

  /** One bind round over (the bind path's Batcher): its items, each one's wait, its duration. */
  observeBindRound(items: number, waitedMs: readonly number[], tookMs: number): void {
    this.bindRoundItems.observe(items);
    this.bindRoundDuration.observe(tookMs / 1000);
    for (const ms of waitedMs) this.bindRoundWait.observe(ms / 1000);
  }

  observeJob(job: string, result: 'ok' | 'failed', seconds: number): void {
    this.schedulerRuns.inc({ job, result });
    this.schedulerDuration.observe({ job }, seconds);
  }

  observeRouting(status: number, source: string): void {
    this.routingTally(status, source).count += 1;
  }

  /**
   * The tally of routing decisions of one status and source, to count on with `count += 1`
   * (what observeRouting does) without finding it again: a cache hit keeps its own (issue 21).
   */
  routingTally(status: number, source: string): RoutingTally {
    const key = `${status}/${source}`;
    let tally = this.routingTallies.get(key);
    if (tally === undefined) {
      tally = { labels: { status: String(status), source }, count: 0 };
      this.routingTallies.set(key, tally);
    }
    return tally;
  }
}
