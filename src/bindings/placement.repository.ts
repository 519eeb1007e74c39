import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseError } from 'pg';
import { Batcher } from '../common/async/batcher.js';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable.js';
import type { CallerScope } from '../common/http/call-context.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Binding } from '../generated/prisma/client.js';
import {
  X_CLAIM_REFUSALS,
  XClaimService,
  type XClaimRefusal,
  type XClaimTerms,
} from '../inventory/x-claim.service.js';
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
 * the next batch never waits behind a bind that waits for a lock (with one batch at a time, the
 * default, it would otherwise hold every bind of the instance).
 */
@Injectable()
export class PlacementRepository {
  /** A batch answers each item's placement, or the single placement it is retried as. */
  private readonly batcher: Batcher<PlaceRequest, Placement | Promise<Placement>>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.batcher = new Batcher(
      (items) => this.placeBatch(items),
      config.bindings.batchSize,
      config.bindings.batchConcurrency,
    );
  }

  place(
    binding: PendingBinding,
    claim: XClaimTerms,
    origin: EventOrigin,
    scope: CallerScope,
    now: Date,
  ): Promise<Placement> {
    return this.batcher.submit({ binding, claim, origin, scope, now }).then((p) => p);
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

  private async placeBatch(items: PlaceRequest[]): Promise<Array<Placement | Promise<Placement>>> {
    let placed: Array<Placement | 'busy'>;
    try {
      placed = await this.run(items, false);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      placed = items.map(() => 'busy');
    }
    // Not awaited here: a single placement may wait for a lock, and the batch's slot is free now.
    return placed.map((p, i) => (p === 'busy' ? this.once(() => this.alone(items[i]!)) : p));
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
    const now = items.reduce((t, item) => (item.now > t ? item.now : t), items[0]!.now);
    const { rows } = await this.prisma.pgPool.query<PlacementRow>({
      name: 'binding-place',
      text: PLACE,
      values: [
        JSON.stringify(
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
          })),
        ),
        now,
        wait,
      ],
    });
    const out = new Array<Placement | 'busy' | undefined>(items.length);
    for (const row of rows) {
      out[row.i!] = row.outcome === 'busy' ? 'busy' : outcomeOf<Placement>(row);
    }
    if (out.some((p) => p === undefined)) throw new Error('place_bindings skipped an item');
    return out as Array<Placement | 'busy'>;
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
