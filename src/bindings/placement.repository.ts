import { Injectable } from '@nestjs/common';
import type { DatabaseError } from 'pg';
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
  /** The order already has a live binding (returned as it is now). */
  | { kind: 'replay'; binding: Binding }
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

type PlacementRow = BindingRow & { outcome: string };

const CLAIM_ARGS = 8;
const claimParams = (from: number) =>
  Array.from({ length: CLAIM_ARGS }, (_, i) => `$${from + i}`).join(', ');

// One round trip each: the SQL functions of prisma/sql/050_bind_path.sql.
const PLACE = `SELECT * FROM place_binding($1, $2, $3, $4, $5::jsonb, $6, ${claimParams(7)},
  $${7 + CLAIM_ARGS}::jsonb)`;
const MOVE = `SELECT * FROM move_binding($1::uuid, $2, $3::jsonb, $4, ${claimParams(5)})`;

// A write that put a party on X outside a claim (a concurrent change of A or B) can still meet
// the unique indexes after the claim's check; the claim, run again, then sees it.
const PARTY_INDEXES = new Set(['live_pairs_x_a_key', 'live_pairs_x_b_key']);

/**
 * Writing a bind's pending binding: the first placement of an order, and the move to another X
 * after the provider refused one. Plain `pg`, one statement each; X comes from inventory's
 * claim_x() inside that statement, with the terms XClaimService made.
 */
@Injectable()
export class PlacementRepository {
  constructor(private readonly prisma: PrismaService) {}

  place(
    binding: PendingBinding,
    claim: XClaimTerms,
    origin: EventOrigin,
    now: Date,
  ): Promise<Placement> {
    return this.once<Placement>(() =>
      this.run('binding-place', PLACE, [
        binding.outId,
        binding.record,
        binding.expiresAt,
        origin.actor,
        JSON.stringify(origin.details),
        now,
        ...XClaimService.args(claim),
        JSON.stringify(callControlJson(binding.callControl ?? {})),
      ]),
    );
  }

  /** Moves the pending binding `id` onto a number the claim allows (its `exclude` are tried). */
  move(id: string, claim: XClaimTerms, origin: EventOrigin, now: Date): Promise<Move> {
    return this.once<Move>(() =>
      this.run('binding-move', MOVE, [
        id,
        origin.actor,
        JSON.stringify(origin.details),
        now,
        ...XClaimService.args(claim),
      ]),
    );
  }

  private async run<T extends Outcome>(name: string, text: string, values: unknown[]): Promise<T> {
    const { rows } = await this.prisma.pgPool.query<PlacementRow>({ name, text, values });
    const row = rows[0];
    if (!row) throw new Error(`${name} returned no row`);
    const outcome = row.outcome;
    // The SQL function answers only the outcomes of its own kind (T).
    if (outcome === 'placed' || outcome === 'replay' || outcome === 'not-pending') {
      return { kind: outcome, binding: toBinding(row) } as T;
    }
    if ((X_CLAIM_REFUSALS as readonly string[]).includes(outcome)) {
      return { kind: 'refused', reason: outcome as XClaimRefusal } as T;
    }
    throw new Error(`${name} returned an unknown outcome: ${outcome}`);
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
