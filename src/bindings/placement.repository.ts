import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseError } from 'pg';
import { Batcher } from '../common/async/batcher.js';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable.js';
import type { CallerScope } from '../common/http/call-context.decorator.js';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Binding } from '../generated/prisma/client.js';
import {
  X_CLAIM_REFUSALS,
  XClaimService,
  type XClaimRefusal,
  type XClaimTerms,
} from '../inventory/x-claim.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { toBinding, type BindingRow } from './binding-row.js';
import { callControlJson, type CallControl } from './call-control.js';

/** What the order's binding is to be, besides the pair and its X. */
export interface PendingBinding {
  outId: string;
  record: boolean;
  expiresAt: Date;
  /** BindAxb's other options, kept with the binding (absent: none). */
  callControl?: CallControl;
}

export interface EventOrigin {
  actor: string;
  details: Record<string, unknown>;
}

export type Placement =
  /** Written `pending` on the claimed X, with its event. */
  | { kind: 'placed'; binding: Binding }
  /** The order already has a live binding of the caller's group (returned as it is now). */
  | { kind: 'replay'; binding: Binding }
  /** The order has a live binding of another caller group: nothing of it is returned. */
  | { kind: 'taken' }
  /** No number could be claimed. */
  | { kind: 'refused'; reason: XClaimRefusal };

export type Move =
  /** Moved onto the claimed X, with its `attempt_failed` event. */
  | { kind: 'placed'; binding: Binding }
  /** No other number could be claimed. */
  | { kind: 'refused'; reason: XClaimRefusal }
  /** The binding is no longer pending: settled by someone else meanwhile. */
  | { kind: 'not-pending'; binding: Binding };

type Outcome = Placement | Move;

type PlacementRow = BindingRow & { outcome: string; i?: number };

/** What the bind path writes: a placement, or the settle of a BindAxb answer. */
type Work = { place: PlaceRequest } | { bound: BoundAnswer };
/** Each one's answer: the placement (or the single placement a busy one is retried as), or the
 * binding settled (null: settled by someone else meanwhile). */
type Written = Placement | Promise<Placement> | Binding | null | Promise<Binding | null>;

/** BindAxb answered a bind: its SubsId, to be recorded on the pending binding. */
export interface BoundAnswer {
  id: string;
  subsId: string;
  origin: EventOrigin;
  now: Date;
}

interface PlaceRequest {
  binding: PendingBinding;
  claim: XClaimTerms;
  origin: EventOrigin;
  /** Whose binding it becomes (its owner), and whose live binding of the order is a replay. */
  scope: CallerScope;
  now: Date;
}

// One round trip each: the SQL functions of prisma/sql/050_bind_path.sql.
const PLACE = `SELECT * FROM place_bindings($1::jsonb, $2, $3)`;
/** The settles of a batch of BindAxb answers (settle_bound()): the bindings it settled. */
export const BOUND_SQL = `SELECT * FROM settle_bound($1::jsonb, $2)`;
/** Settles and placements together: one statement, one commit (bind_round()). */
const ROUND = `SELECT * FROM bind_round($1::jsonb, $2, $3::jsonb, $4)`;
const MOVE = `SELECT * FROM move_binding($1::uuid, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12)`;

// A write that put a party on X outside a claim (a concurrent change of A or B) can still meet
// the unique indexes after the claim's check; the claim, run again, then sees it.
const PARTY_INDEXES = new Set(['live_pairs_x_a_key', 'live_pairs_x_b_key']);

/**
 * Writing a bind's pending binding: the first placement of an order, and the move to another X
 * after the provider refused one. Plain `pg`; X comes from inventory's claim_x() inside the
 * statement, with the terms XClaimService made.
 *
 * Placements that arrive while others are being written are written together (group commit,
 * BIND_BATCH_SIZE / BIND_BATCH_CONCURRENCY): one statement and one commit for the batch, in
 * which nothing waits for a lock. An item that would have to wait (its order or every usable
 * number is being placed by another transaction right now) comes back 'busy' and is placed
 * again alone, waiting; so is every item of a batch that failed for another reason than the
 * database being away, so that one item's trouble is never another's. Those single placements
 * run outside the batch: the batch's slot is free as soon as its own statement has answered, so
 * the next batch never waits behind a bind that waits for a lock (with BIND_BATCH_CONCURRENCY
 * such waits it would otherwise hold every bind of the instance).
 *
 * The settles of BindAxb answers (SettlementRepository.bound) go in the same batches: answers and
 * new binds that arrive together are written by one statement and one commit (bind_round()).
 */
@Injectable()
export class PlacementRepository {
  /** Placements and settles, batched together. */
  private readonly batcher: Batcher<Work, Written>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly hasher: PhoneHasher,
    metrics: MetricsService,
  ) {
    this.batcher = new Batcher(
      (works) => this.writeBatch(works),
      config.bindings.batchSize,
      config.bindings.batchConcurrency,
      (items, waitedMs, tookMs) => metrics.observeBindRound(items, waitedMs, tookMs),
    );
  }

  place(
    binding: PendingBinding,
    claim: XClaimTerms,
    origin: EventOrigin,
    scope: CallerScope,
    now: Date,
  ): Promise<Placement> {
    return this.batcher.submit({
      place: { binding, claim, origin, scope, now },
    }) as Promise<Placement>;
  }

  /**
   * BindAxb answered (SettlementRepository.bound): `active` with its SubsId (or the SubsId only,
   * when unbinding), `bound` event. Null when someone else settled the binding meanwhile.
   */
  bound(answer: BoundAnswer): Promise<Binding | null> {
    return this.batcher.submit({ bound: answer }) as Promise<Binding | null>;
  }

  /** Moves the pending binding `id` onto a number the claim allows (its `exclude` are tried). */
  move(id: string, claim: XClaimTerms, origin: EventOrigin, now: Date): Promise<Move> {
    return this.once(async () => {
      const { rows } = await this.prisma.pgPool.query<PlacementRow>({
        name: 'binding-move',
        text: MOVE,
        values: [
          id,
          origin.actor,
          JSON.stringify(origin.details),
          now,
          ...XClaimService.args(claim),
        ],
      });
      if (!rows[0]) throw new Error('binding-move returned no row');
      return outcomeOf<Move>(rows[0]);
    });
  }

  /**
   * One batch of the bind path's writes: placements and settles that arrived together go as one
   * statement and one commit (bind_round()); a batch of one kind as that kind's statement.
   */
  private async writeBatch(works: Work[]): Promise<Written[]> {
    const places: PlaceRequest[] = [];
    const answers: BoundAnswer[] = [];
    for (const w of works) {
      if ('place' in w) places.push(w.place);
      else answers.push(w.bound);
    }
    let placed: Array<Placement | Promise<Placement>> = [];
    let settled: Array<Binding | null | Promise<Binding | null>> = [];
    if (answers.length === 0) placed = await this.placeBatch(places);
    else if (places.length === 0) settled = await this.settleBatch(answers);
    else [settled, placed] = await this.round(answers, places);
    let p = 0;
    let b = 0;
    return works.map((w) => ('place' in w ? placed[p++]! : settled[b++]!));
  }

  /** Settles and placements in one call of bind_round(); apart again when it failed. */
  private async round(
    answers: BoundAnswer[],
    places: PlaceRequest[],
  ): Promise<
    [Array<Binding | null | Promise<Binding | null>>, Array<Placement | Promise<Placement>>]
  > {
    let rows: PlacementRow[];
    try {
      ({ rows } = await this.prisma.pgPool.query<PlacementRow>({
        name: 'binding-round',
        text: ROUND,
        values: [
          answersJson(answers),
          latest(answers),
          placesJson(places, this.hasher),
          latest(places),
        ],
      }));
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      // One half's trouble is not the other's: each on its own, as if they had not met.
      const settling = this.settleBatch(answers);
      settling.catch(() => undefined);
      const placed = await this.placeBatch(places);
      return [answers.map((_, k) => settling.then((s) => s[k]!)), placed];
    }
    const bound = new Map<string, Binding>();
    const placeRows: PlacementRow[] = [];
    for (const row of rows) {
      if (row.outcome === 'bound') bound.set(row.id, toBinding(row));
      else placeRows.push(row);
    }
    return [
      answers.map((a) => bound.get(a.id) ?? null),
      this.retryBusy(places, placementsOf(placeRows, places.length)),
    ];
  }

  private async placeBatch(items: PlaceRequest[]): Promise<Array<Placement | Promise<Placement>>> {
    let placed: Array<Placement | 'busy'>;
    try {
      placed = await this.run(items, false);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      placed = items.map(() => 'busy');
    }
    return this.retryBusy(items, placed);
  }

  /**
   * Busy items placed again alone. Not awaited here: a single placement may wait for a lock, and
   * the batch's slot is free now.
   */
  private retryBusy(
    items: PlaceRequest[],
    placed: Array<Placement | 'busy'>,
  ): Array<Placement | Promise<Placement>> {
    return placed.map((p, i) => (p === 'busy' ? this.once(() => this.alone(items[i]!)) : p));
  }

  private async settleBatch(answers: BoundAnswer[]): Promise<Array<Binding | null>> {
    const { rows } = await this.prisma.pgPool.query<BindingRow>({
      name: 'binding-settle-bound',
      text: BOUND_SQL,
      values: [answersJson(answers), latest(answers)],
    });
    const byId = new Map(rows.map((r) => [r.id, toBinding(r)]));
    return answers.map((a) => byId.get(a.id) ?? null);
  }

  private async alone(item: PlaceRequest): Promise<Placement> {
    const [placed] = await this.run([item], true);
    if (placed === undefined || placed === 'busy') {
      throw new Error('a waiting placement answered busy');
    }
    return placed;
  }

  /** One call of place_bindings() for `items`, with or without waiting for locks. */
  private async run(items: PlaceRequest[], wait: boolean): Promise<Array<Placement | 'busy'>> {
    const { rows } = await this.prisma.pgPool.query<PlacementRow>({
      name: 'binding-place',
      text: PLACE,
      values: [placesJson(items, this.hasher), latest(items), wait],
    });
    return placementsOf(rows, items.length);
  }

  private async once<T extends Outcome>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (!PARTY_INDEXES.has((error as DatabaseError).constraint ?? '')) throw error;
      return write();
    }
  }
}

/** The latest `now` of a batch: the time its statement writes. */
function latest(items: Array<{ now: Date }>): Date {
  return items.reduce((t, item) => (item.now > t ? item.now : t), items[0]!.now);
}

/** place_bindings()' items, with the parties' keyed hashes (none without a secret). */
function placesJson(items: PlaceRequest[], hasher: PhoneHasher): string {
  return JSON.stringify(
    items.map((item, i) => ({
      i,
      outId: item.binding.outId,
      record: item.binding.record,
      expiresAt: item.binding.expiresAt,
      actor: item.origin.actor,
      details: item.origin.details,
      pool: item.claim.poolKey,
      a: item.claim.phoneA,
      b: item.claim.phoneB,
      city: item.claim.city,
      cityStrict: item.claim.cityStrict,
      pinned: item.claim.pinned,
      exclude: item.claim.exclude,
      maxPairs: item.claim.maxPairs,
      callControl: callControlJson(item.binding.callControl ?? {}),
      owner: item.scope.group,
      seesAll: item.scope.all,
      // Written with the binding: search by phone finds it through them, and aging later
      // rewrites no indexed column.
      ha: hasher.hash(item.claim.phoneA)?.toString('hex'),
      hb: hasher.hash(item.claim.phoneB)?.toString('hex'),
    })),
  );
}

/** settle_bound()'s answers. */
function answersJson(answers: BoundAnswer[]): string {
  return JSON.stringify(
    answers.map((a) => ({
      id: a.id,
      subs: a.subsId,
      actor: a.origin.actor,
      details: a.origin.details,
    })),
  );
}

/** place_bindings()' rows as one outcome per item, in the items' order. */
function placementsOf(rows: PlacementRow[], count: number): Array<Placement | 'busy'> {
  const out = new Array<Placement | 'busy' | undefined>(count);
  for (const row of rows) {
    out[row.i!] = row.outcome === 'busy' ? 'busy' : outcomeOf<Placement>(row);
  }
  if (out.some((p) => p === undefined)) throw new Error('place_bindings skipped an item');
  return out as Array<Placement | 'busy'>;
}

/** A row of place_bindings() or move_binding() as the outcome of its kind (T). */
function outcomeOf<T extends Outcome>(row: PlacementRow): T {
  const outcome = row.outcome;
  if (outcome === 'placed' || outcome === 'replay' || outcome === 'not-pending') {
    return { kind: outcome, binding: toBinding(row) } as T;
  }
  if (outcome === 'taken') return { kind: 'taken' } as T;
  if ((X_CLAIM_REFUSALS as readonly string[]).includes(outcome)) {
    return { kind: 'refused', reason: outcome as XClaimRefusal } as T;
  }
  throw new Error(`an unknown placement outcome: ${outcome}`);
}
