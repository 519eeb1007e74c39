import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { maskPhone, maskPhonesInText } from '../common/privacy/mask-phone.js';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { inTransaction } from '../prisma/transaction.js';

/** What one batch of aging did. */
export interface AgedBatch {
  bindings: number;
  calls: number;
}

/** Orders of live bindings that stop an erasure. */
export class LiveBindingsOfPhone {
  constructor(readonly orders: Array<{ poolKey: string; outId: string }>) {}
}

/** What an erasure changed: the bindings (ids) and call records whose numbers it replaced. */
export interface Erased {
  bindingIds: string[];
  calls: number;
}

interface BindingPhones {
  id: string;
  phone_a: string;
  phone_b: string;
}
interface CallPhones {
  id: string;
  binding_id: string | null;
  phone_no: string | null;
  peer_no: string | null;
  raw: unknown;
}

/** The erased number ($1), or its hash ($2), in a column pair. */
const matches = (column: string, hashColumn: string) =>
  `(${column} = $1 OR ($2::bytea IS NOT NULL AND ${hashColumn} = $2))`;
const IS_A = matches('phone_a', 'phone_a_hash');
const IS_B = matches('phone_b', 'phone_b_hash');
const IS_CALLER = matches('phone_no', 'phone_no_hash');
const IS_CALLEE = matches('peer_no', 'peer_no_hash');

/** A provider payload with every number in it masked (call records keep the raw report). */
function maskedRaw(raw: unknown): unknown {
  return JSON.parse(maskPhonesInText(JSON.stringify(raw))) as unknown;
}

/**
 * Privacy aging and erasure on the record: real numbers (bindings' A and B, call records' caller
 * and callee, and the raw reports) replaced by their masked form, with the keyed hash beside them
 * (aging) or none (erasure). Rows are taken FOR UPDATE SKIP LOCKED and marked aged in the same
 * transaction: instances age disjoint batches and each row once, and binds never wait on it.
 */
@Injectable()
export class PhoneAgingRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly hasher: PhoneHasher,
  ) {}

  /**
   * Ages up to `limit` bindings that ended before `cutoff`, with their call records, in one
   * transaction of three statements whatever the batch's size: the bindings taken (oldest first,
   * FOR UPDATE SKIP LOCKED: instances and workers take disjoint batches), their call records
   * locked, and one statement replacing the numbers of both by arrays (the hashes are computed
   * here: the secret never goes to the database). Each UPDATE names the id range of the batch,
   * so it touches the one or two month partitions the batch lies in, not all of them.
   */
  async ageBatch(now: Date, cutoff: Date, limit: number): Promise<AgedBatch> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<BindingPhones>(
        `SELECT id, phone_a, phone_b FROM bindings
          WHERE aged_at IS NULL AND created_at < $1 AND ended_at < $1
          ORDER BY created_at LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [cutoff, limit],
      );
      const ids = rows.map((r) => r.id).sort();
      // A call record of a taken binding is aged with it: waited for if a report is writing it
      // (never skipped, or it would stay unaged), read under the lock so its raw is current.
      const calls =
        ids.length === 0
          ? []
          : (
              await client.query<CallPhones>(
                `SELECT id::text, binding_id, phone_no, peer_no, raw FROM call_records
                  WHERE binding_id = ANY($1::uuid[]) AND binding_id >= $2 AND binding_id <= $3
                    AND aged_at IS NULL
                  FOR UPDATE`,
                [ids, ids[0], ids[ids.length - 1]],
              )
            ).rows;
      // Records the provider sent for no binding we know: by their own age.
      const unlinked = (
        await client.query<CallPhones>(
          `SELECT id::text, binding_id, phone_no, peer_no, raw FROM call_records
            WHERE binding_id IS NULL AND aged_at IS NULL AND received_at < $1
            ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [cutoff, limit],
        )
      ).rows;
      const aged = await this.replacePhones(client, rows, [...calls, ...unlinked], now);
      return { bindings: aged.bindings, calls: aged.calls };
    });
  }

  /**
   * Erases every ended record of `phone` (as A, B, caller or callee; real or already aged, found
   * by its hash): numbers masked, hashes cleared. Throws LiveBindingsOfPhone, changing nothing,
   * when a binding of the number is not over.
   */
  async erase(phone: string, now: Date): Promise<Erased> {
    const hash = this.hasher.hash(phone);
    return this.inTransaction(async (client) => {
      // Locks the number's bindings first: one that goes live meanwhile is seen below.
      const { rows } = await client.query<
        BindingPhones & { live: boolean; pool_key: string; out_id: string }
      >(
        `SELECT b.id, b.phone_a, b.phone_b, b.pool_key, b.out_id,
                (EXISTS (SELECT 1 FROM live_pairs p WHERE p.binding_id = b.id)
                 OR EXISTS (SELECT 1 FROM reconcile_queue q WHERE q.binding_id = b.id)
                 OR EXISTS (SELECT 1 FROM contact_windows w WHERE w.binding_id = b.id)
                 OR binding_state_live(b.state)) AS live
           FROM bindings b
          WHERE ${IS_A.replaceAll('phone_', 'b.phone_')} OR ${IS_B.replaceAll('phone_', 'b.phone_')}
          FOR UPDATE OF b`,
        [phone, hash],
      );
      const live = rows.filter((r) => r.live);
      if (live.length > 0) {
        throw new LiveBindingsOfPhone(live.map((r) => ({ poolKey: r.pool_key, outId: r.out_id })));
      }
      // Only the erased number's columns change: the other party's number stays as it was
      // (real until the aging job replaces it, which still finds the row: aged_at stays unset).
      const masked = maskPhone(phone);
      await client.query(
        `UPDATE bindings
            SET phone_a = CASE WHEN ${IS_A} THEN $3 ELSE phone_a END,
                phone_a_hash = CASE WHEN ${IS_A} THEN NULL ELSE phone_a_hash END,
                phone_b = CASE WHEN ${IS_B} THEN $3 ELSE phone_b END,
                phone_b_hash = CASE WHEN ${IS_B} THEN NULL ELSE phone_b_hash END,
                erased_at = $5
          WHERE id = ANY($4::uuid[])`,
        [phone, hash, masked, rows.map((r) => r.id), now],
      );
      const calls = await client.query(
        `UPDATE call_records
            SET phone_no = CASE WHEN ${IS_CALLER} THEN $3 ELSE phone_no END,
                phone_no_hash = CASE WHEN ${IS_CALLER} THEN NULL ELSE phone_no_hash END,
                peer_no = CASE WHEN ${IS_CALLEE} THEN $3 ELSE peer_no END,
                peer_no_hash = CASE WHEN ${IS_CALLEE} THEN NULL ELSE peer_no_hash END,
                raw = replace(raw::text, $1, $3)::jsonb,
                erased_at = $4
          WHERE ${IS_CALLER} OR ${IS_CALLEE}`,
        [phone, hash, masked, now],
      );
      return { bindingIds: rows.map((r) => r.id), calls: calls.rowCount ?? 0 };
    });
  }

  /**
   * One statement: the bindings' A and B, and the call records' numbers and raw reports, replaced
   * by their masked form and hash. An erased number is masked already and has no hash: it keeps
   * none. The id bounds let each UPDATE prune to the partitions the batch lies in.
   */
  private async replacePhones(
    client: pg.PoolClient,
    bindings: BindingPhones[],
    calls: CallPhones[],
    now: Date,
  ): Promise<AgedBatch> {
    if (bindings.length === 0 && calls.length === 0) return { bindings: 0, calls: 0 };
    const hash = (p: string | null) => (p ? this.hashOf(p) : null);
    const mask = (p: string | null) => (p === null ? null : maskPhone(p));
    const ids = bindings.map((r) => r.id).sort();
    const { rows } = await client.query<{ bindings: number; calls: number }>(
      `WITH b AS (
         UPDATE bindings b
            SET phone_a = t.a, phone_b = t.b,
                phone_a_hash = coalesce(t.ha, b.phone_a_hash),
                phone_b_hash = coalesce(t.hb, b.phone_b_hash),
                aged_at = $6
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::bytea[])
                AS t(id, a, b, ha, hb)
          WHERE b.id = t.id AND b.id >= $7 AND b.id <= $8
         RETURNING 1),
       c AS (
         UPDATE call_records c
            SET phone_no = t.p, peer_no = t.q, phone_no_hash = t.hp, peer_no_hash = t.hq,
                raw = t.raw, aged_at = $6
           FROM unnest($9::bigint[], $10::uuid[], $11::text[], $12::text[], $13::bytea[],
                       $14::bytea[], $15::jsonb[]) AS t(id, bid, p, q, hp, hq, raw)
          WHERE c.id = t.id AND c.binding_id IS NOT DISTINCT FROM t.bid
            AND (c.binding_id IS NULL OR (c.binding_id >= $7 AND c.binding_id <= $8))
         RETURNING 1)
       SELECT (SELECT count(*) FROM b)::int AS bindings, (SELECT count(*) FROM c)::int AS calls`,
      [
        bindings.map((r) => r.id),
        bindings.map((r) => maskPhone(r.phone_a)),
        bindings.map((r) => maskPhone(r.phone_b)),
        bindings.map((r) => hash(r.phone_a)),
        bindings.map((r) => hash(r.phone_b)),
        now,
        ids[0] ?? null,
        ids[ids.length - 1] ?? null,
        calls.map((r) => r.id),
        calls.map((r) => r.binding_id),
        calls.map((r) => mask(r.phone_no)),
        calls.map((r) => mask(r.peer_no)),
        calls.map((r) => hash(r.phone_no)),
        calls.map((r) => hash(r.peer_no)),
        calls.map((r) => JSON.stringify(maskedRaw(r.raw))),
      ],
    );
    return rows[0] ?? { bindings: 0, calls: 0 };
  }

  /** An already masked number (an aged row, erased) has no hash to keep. */
  private hashOf(phone: string): Buffer | null {
    return phone.includes('*') ? null : this.hasher.hash(phone);
  }

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.prisma.pgPool.connect();
    try {
      return await inTransaction(client, work);
    } finally {
      client.release();
    }
  }
}
