import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { maskPhone, maskPhonesInText } from '../common/privacy/mask-phone.js';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';
import { PrismaService } from '../prisma/prisma.service.js';

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

  /** Ages up to `limit` bindings that ended before `cutoff`, with their call records. */
  async ageBatch(now: Date, cutoff: Date, limit: number): Promise<AgedBatch> {
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<BindingPhones>(
        `SELECT id, phone_a, phone_b FROM bindings
          WHERE aged_at IS NULL AND created_at < $1 AND ended_at < $1
          ORDER BY created_at LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [cutoff, limit],
      );
      const bindings = await this.replaceBindingPhones(client, rows, now);
      const calls = await this.replaceCallPhones(
        client,
        `binding_id = ANY($1::uuid[])`,
        [rows.map((r) => r.id)],
        now,
      );
      // Records the provider sent for no binding we know: by their own age.
      const unlinked = await this.replaceCallPhones(
        client,
        `binding_id IS NULL AND received_at < $1 ORDER BY received_at LIMIT ${Number(limit)}`,
        [cutoff],
        now,
      );
      return { bindings, calls: calls + unlinked };
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

  private async replaceBindingPhones(
    client: pg.PoolClient,
    rows: BindingPhones[],
    now: Date,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    // An erased number is masked already and has no hash: it keeps none.
    const hash = (p: string) => this.hashOf(p);
    await client.query(
      `UPDATE bindings b
          SET phone_a = t.a, phone_b = t.b,
              phone_a_hash = coalesce(t.ha, b.phone_a_hash),
              phone_b_hash = coalesce(t.hb, b.phone_b_hash),
              aged_at = $6
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::bytea[])
              AS t(id, a, b, ha, hb)
        WHERE b.id = t.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => maskPhone(r.phone_a)),
        rows.map((r) => maskPhone(r.phone_b)),
        rows.map((r) => hash(r.phone_a)),
        rows.map((r) => hash(r.phone_b)),
        now,
      ],
    );
    return rows.length;
  }

  /** Ages the numbers of the unaged call records `where` selects. */
  private async replaceCallPhones(
    client: pg.PoolClient,
    where: string,
    params: unknown[],
    now: Date,
  ): Promise<number> {
    const { rows } = await client.query<CallPhones>(
      `SELECT id::text, binding_id, phone_no, peer_no, raw FROM call_records
        WHERE aged_at IS NULL AND ${where} FOR UPDATE SKIP LOCKED`,
      params,
    );
    if (rows.length === 0) return 0;
    const hash = (p: string | null) => (p ? this.hashOf(p) : null);
    await client.query(
      `UPDATE call_records c
          SET phone_no = t.p, peer_no = t.q, phone_no_hash = t.hp, peer_no_hash = t.hq, raw = t.raw,
              aged_at = $7
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::jsonb[])
              AS t(id, p, q, hp, hq, raw)
        WHERE c.id = t.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => (r.phone_no === null ? null : maskPhone(r.phone_no))),
        rows.map((r) => (r.peer_no === null ? null : maskPhone(r.peer_no))),
        rows.map((r) => hash(r.phone_no)),
        rows.map((r) => hash(r.peer_no)),
        rows.map((r) => JSON.stringify(maskedRaw(r.raw))),
        now,
      ],
    );
    return rows.length;
  }

  /** An already masked number (an aged row, erased) has no hash to keep. */
  private hashOf(phone: string): Buffer | null {
    return phone.includes('*') ? null : this.hasher.hash(phone);
  }

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.prisma.pgPool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}
