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
  /** Whether the batch was full: there may be more to do now. */
  more: boolean;
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
  /** Whether the row has its hashes already (written with it, or by hashBatch). */
  hashed_a: boolean;
  hashed_b: boolean;
}
interface ScannedBinding extends BindingPhones {
  created_at: Date;
  ended_at: Date | null;
  aged_at: Date | null;
  /** In a live state: its numbers are in use whatever its end says (reconciled back to live). */
  live: boolean;
}
interface CallPhones {
  id: string;
  binding_id: string | null;
  phone_no: string | null;
  peer_no: string | null;
  hashed_no: boolean;
  hashed_peer: boolean;
  /** The raw report as JSON text (masked as text: no parse and print again). */
  raw: string;
}

/**
 * The erased number ($1), or its hash ($2), in a column pair: by the hash, or by the number
 * where the row has no hash yet (made without a secret, or before hashes were written).
 */
const matches = (column: string, hashColumn: string) =>
  `(${hashColumn} = $2 OR (${hashColumn} IS NULL AND ${column} = $1))`;
const IS_A = matches('phone_a', 'phone_a_hash');
const IS_B = matches('phone_b', 'phone_b_hash');
const IS_CALLER = matches('phone_no', 'phone_no_hash');
const IS_CALLEE = matches('peer_no', 'peer_no_hash');
/** How many stripes the bindings are walked in (aging_progress rows): workers walk them at once. */
const AGING_STRIPES = 8;
/**
 * A stripe is every AGING_STRIPES-th day of creation time (aging_stripe_window()): a batch takes
 * bindings made one after another, which share heap pages, instead of one row in 8 of each page.
 */
const AGING_BUCKET_MS = 86_400_000;
/** A hash column's value for "no hash" (a masked number): matches no search, and is not NULL. */
const NO_HASH = Buffer.alloc(0);

const BINDING_PHONES = `id, phone_a, phone_b, phone_a_hash IS NOT NULL AS hashed_a,
                       phone_b_hash IS NOT NULL AS hashed_b`;
const SCANNED = `${BINDING_PHONES}, created_at, ended_at, aged_at, binding_state_live(state) AS live`;
const CALL_PHONES = `id::text, binding_id, phone_no, peer_no, phone_no_hash IS NOT NULL AS hashed_no,
                     peer_no_hash IS NOT NULL AS hashed_peer, raw::text AS raw`;

/**
 * Privacy aging and erasure on the record: real numbers (bindings' A and B, call records' caller
 * and callee, and the raw reports) replaced by their masked form. The keyed hashes are written
 * with the rows (bind path, call reports) and stay: aging changes no indexed column, so each aged
 * row is a HOT update (no index entry written; the month partitions keep room for it).
 *
 * Which bindings are due is found without an index on aged_at (it would make every aging a new
 * index entry everywhere): cursors over the creation order (aging_progress; a binding is due only
 * once created before the cutoff, and nothing changes its creation time) take the bindings
 * created before the cutoff once each, in order, in AGING_STRIPES stripes (by the day of
 * creation: every AGING_STRIPES-th day is one stripe's, AGING_BUCKET_MS) that workers and
 * instances walk at once, each stripe's cursor row held FOR UPDATE SKIP
 * LOCKED by one of them; those not due yet (live, or ended since the cutoff) wait in
 * aging_pending, looked at again when the cutoff passes their end (SKIP LOCKED too). A row is
 * aged only while aged_at is unset and its end is before the cutoff, checked again under the
 * UPDATE's row lock: each row once, whichever instance or worker gets there; and binds never
 * wait on aging (it takes no lock a bind needs, and ended bindings are nothing a bind touches).
 */
@Injectable()
export class PhoneAgingRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly hasher: PhoneHasher,
  ) {}

  /**
   * Ages up to `limit` bindings that ended before `cutoff`, with their call records: the pending
   * bindings now due if there are any, else the next `limit` bindings of a stripe's cursor. One
   * transaction of a few statements whatever the batch's size. `more`: whether there may be more
   * to do at this cutoff (false once every stripe is walked to it, or held by other workers).
   */
  async ageBatch(now: Date, cutoff: Date, limit: number): Promise<AgedBatch> {
    const pending = await this.agePending(now, cutoff, limit);
    if (pending.more || pending.bindings > 0) return pending;
    return this.ageScanned(now, cutoff, limit);
  }

  /** The pending bindings whose end the cutoff has passed (or live ones, looked at again). */
  private async agePending(now: Date, cutoff: Date, limit: number): Promise<AgedBatch> {
    return this.inTransaction(async (client) => {
      const { rows: taken } = await client.query<{ binding_id: string }>(
        `SELECT binding_id FROM aging_pending WHERE due_at < $1
          ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [cutoff, limit],
      );
      if (taken.length === 0) return { bindings: 0, calls: 0, more: false };
      const ids = taken.map((r) => r.binding_id).sort();
      const { rows } = await client.query<ScannedBinding>(
        `SELECT ${SCANNED} FROM bindings
          WHERE id = ANY($1::uuid[]) AND id >= $2 AND id <= $3`,
        [ids, ids[0], ids[ids.length - 1]],
      );
      const aged = await this.ageTaken(client, rows, cutoff, now, limit);
      // Done with (aged, aged already, or gone): out; not due yet: looked at again later.
      await client.query(
        `WITH w AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) AS w(id, due))
         , gone AS (DELETE FROM aging_pending p USING w WHERE p.binding_id = w.id AND w.due IS NULL)
         UPDATE aging_pending p SET due_at = w.due FROM w
          WHERE p.binding_id = w.id AND w.due IS NOT NULL`,
        [ids, ids.map((id) => aged.waiting.get(id) ?? null)],
      );
      return { bindings: aged.bindings, calls: aged.calls, more: taken.length === limit };
    });
  }

  /**
   * The next `limit` bindings created before the cutoff of one stripe's cursor (a stripe: the
   * bindings created on days k, k + AGING_STRIPES, …; each stripe's cursor row taken
   * FOR UPDATE SKIP LOCKED, so workers and instances walk different stripes at once): the due ones
   * aged, the others put in aging_pending. A stripe walked to the cutoff is marked so (`walked`)
   * and not taken again at that cutoff.
   */
  private async ageScanned(now: Date, cutoff: Date, limit: number): Promise<AgedBatch> {
    return this.inTransaction(async (client) => {
      await client.query(
        `INSERT INTO aging_progress (id, created_at, binding_id, updated_at)
         SELECT k, '-infinity', '00000000-0000-0000-0000-000000000000', $1
           FROM generate_series(0, ${AGING_STRIPES - 1}) k
         ON CONFLICT (id) DO NOTHING`,
        [now],
      );
      const { rows: cursor } = await client.query<{
        id: number;
        created_at: Date;
        binding_id: string;
      }>(
        `SELECT id, created_at, binding_id FROM aging_progress
          WHERE walked IS NULL OR walked < $1
          ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [cutoff],
      );
      const at = cursor[0];
      if (!at) return { bindings: 0, calls: 0, more: false };
      // Not locked: only this stripe's cursor holder takes these rows, and each UPDATE ages a row
      // only while it is unaged and ended before the cutoff (checked again under its row lock).
      // The stripe's next `limit` bindings created before the cutoff, in creation order (runs of
      // neighbours on the same pages: aging_stripe_window(), 090_history_partitions.sql).
      const { rows } = await client.query<ScannedBinding>(
        `SELECT ${SCANNED}
           FROM aging_stripe_window($1::int, ${AGING_STRIPES}, ${AGING_BUCKET_MS}, $2::timestamptz,
                                    $3::uuid, $4::timestamptz, $5::int)`,
        [at.id, at.created_at, at.binding_id, cutoff, limit],
      );
      const aged = await this.ageTaken(client, rows, cutoff, now, limit);
      if (aged.waiting.size > 0) {
        await client.query(
          `INSERT INTO aging_pending (binding_id, due_at)
           SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
           ON CONFLICT (binding_id) DO UPDATE SET due_at = EXCLUDED.due_at`,
          [[...aged.waiting.keys()], [...aged.waiting.values()]],
        );
      }
      // In creation order: the last one is where the stripe's cursor goes on from.
      const last = rows[rows.length - 1];
      const walked = rows.length < limit ? cutoff : null;
      await client.query(
        `UPDATE aging_progress
            SET created_at = coalesce($1, created_at), binding_id = coalesce($2, binding_id),
                walked = $3, updated_at = $4
          WHERE id = $5`,
        [last?.created_at ?? null, last?.id ?? null, walked, now, at.id],
      );
      return { bindings: aged.bindings, calls: aged.calls, more: true };
    });
  }

  /**
   * Of bindings read by the caller: the due ones (ended before the cutoff, not aged) aged with
   * their call records, and records the provider sent for no binding we know (by their own age).
   * `waiting`: the ones not due yet, with the time the cutoff must pass (their end; while live,
   * this cutoff: looked at again on a later pass).
   */
  private async ageTaken(
    client: pg.PoolClient,
    rows: ScannedBinding[],
    cutoff: Date,
    now: Date,
    limit: number,
  ): Promise<{ bindings: number; calls: number; waiting: Map<string, Date> }> {
    const waiting = new Map<string, Date>();
    const due: BindingPhones[] = [];
    for (const r of rows) {
      if (r.aged_at !== null) continue;
      if (r.ended_at !== null && r.ended_at < cutoff && !r.live) due.push(r);
      else waiting.set(r.id, r.live ? cutoff : (r.ended_at ?? cutoff));
    }
    const ids = due.map((r) => r.id).sort();
    // The call records of the due bindings, read as they are (a report does not rewrite one).
    const calls =
      ids.length === 0
        ? []
        : (
            await client.query<CallPhones>(
              `SELECT ${CALL_PHONES} FROM call_records
                WHERE binding_id = ANY($1::uuid[]) AND binding_id >= $2 AND binding_id <= $3
                  AND aged_at IS NULL`,
              [ids, ids[0], ids[ids.length - 1]],
            )
          ).rows;
    // Records the provider sent for no binding we know: by their own age.
    const unlinked = (
      await client.query<CallPhones>(
        `SELECT ${CALL_PHONES} FROM call_records
          WHERE binding_id IS NULL AND aged_at IS NULL AND received_at < $1
          ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [cutoff, limit],
      )
    ).rows;
    const aged = await this.replacePhones(client, due, [...calls, ...unlinked], now, cutoff);
    return { ...aged, waiting };
  }

  /**
   * Gives up to `limit` bindings that have a real number and no hash (made without a secret, or
   * before hashes were written with the binding) their keyed hashes, newest first, so that search
   * finds them through the hash index; a masked number gets the empty "no hash". Returns how
   * many. Nothing without a secret.
   */
  async hashBatch(limit: number): Promise<number> {
    if (!this.hasher.available) return 0;
    return this.inTransaction(async (client) => {
      const { rows } = await client.query<BindingPhones>(
        `SELECT ${BINDING_PHONES} FROM bindings
          WHERE phone_a_hash IS NULL OR phone_b_hash IS NULL
          ORDER BY created_at DESC, id DESC LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const { rowCount } = await client.query(
        `UPDATE bindings b
            SET phone_a_hash = coalesce(b.phone_a_hash, t.ha),
                phone_b_hash = coalesce(b.phone_b_hash, t.hb)
           FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS t(id, ha, hb)
          WHERE b.id = t.id`,
        [
          rows.map((r) => r.id),
          rows.map((r) => (r.hashed_a ? null : this.hashOf(r.phone_a))),
          rows.map((r) => (r.hashed_b ? null : this.hashOf(r.phone_b))),
        ],
      );
      return rowCount ?? 0;
    });
  }

  /**
   * Erases every ended record of `phone` (as A, B, caller or callee; real or already aged, found
   * by its hash): numbers masked, hashes emptied (NO_HASH). Throws LiveBindingsOfPhone, changing nothing,
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
                phone_a_hash = CASE WHEN ${IS_A} THEN $6::bytea ELSE phone_a_hash END,
                phone_b = CASE WHEN ${IS_B} THEN $3 ELSE phone_b END,
                phone_b_hash = CASE WHEN ${IS_B} THEN $6::bytea ELSE phone_b_hash END,
                erased_at = $5
          WHERE id = ANY($4::uuid[])`,
        [phone, hash, masked, rows.map((r) => r.id), now, NO_HASH],
      );
      const calls = await client.query(
        `UPDATE call_records
            SET phone_no = CASE WHEN ${IS_CALLER} THEN $3 ELSE phone_no END,
                phone_no_hash = CASE WHEN ${IS_CALLER} THEN $5::bytea ELSE phone_no_hash END,
                peer_no = CASE WHEN ${IS_CALLEE} THEN $3 ELSE peer_no END,
                peer_no_hash = CASE WHEN ${IS_CALLEE} THEN $5::bytea ELSE peer_no_hash END,
                raw = replace(raw::text, $1, $3)::jsonb,
                erased_at = $4
          WHERE ${IS_CALLER} OR ${IS_CALLEE}`,
        [phone, hash, masked, now, NO_HASH],
      );
      return { bindingIds: rows.map((r) => r.id), calls: calls.rowCount ?? 0 };
    });
  }

  /**
   * One statement: the bindings' A and B, and the call records' numbers and raw reports, replaced
   * by their masked form. The hashes were written with the rows and stay as they are (the same
   * value: the update stays HOT); a row without one yet gets it here (NO_HASH for a number masked
   * already, erased). Rows are reached by their ids (calls by their binding's): a batch reads only
   * its own rows.
   *
   * Each UPDATE is aimed at a partition that can hold the batch's rows (the months of its id
   * range, and the DEFAULT one: history_partitions_between()), not at the parent: the parents'
   * statement triggers have nothing to follow in aging (see below), yet aimed at a parent the
   * statement copies every old and new row into their transition tables for them (for 5,000
   * bindings and their calls, megabytes written to temporary files). The partitions' guard
   * lets it through while `axb.aging_followed` is set (history_partition_write_refused(),
   * 090_history_partitions.sql).
   */
  private async replacePhones(
    client: pg.PoolClient,
    bindings: BindingPhones[],
    calls: CallPhones[],
    now: Date,
    cutoff: Date,
  ): Promise<{ bindings: number; calls: number }> {
    if (bindings.length === 0 && calls.length === 0) return { bindings: 0, calls: 0 };
    const hash = (p: string | null, hashed: boolean) =>
      hashed || p === null ? null : this.hashOf(p);
    const mask = (p: string | null) => (p === null ? null : maskPhone(p));
    const ids = bindings.map((r) => r.id).sort();
    const lo = ids[0] ?? null;
    const hi = ids[ids.length - 1] ?? null;
    const { rows: parts } = await client.query<{
      parent: string;
      name: string;
      is_default: boolean;
    }>(
      `SELECT 'bindings' AS parent, * FROM history_partitions_between('bindings', $1, $2)
       UNION ALL
       SELECT 'call_records', * FROM history_partitions_between('call_records', $1, $2)`,
      [lo, hi],
    );
    const partsOf = (parent: string) => parts.filter((p) => p.parent === parent);
    const table = (p: { name: string }) => client.escapeIdentifier(p.name);
    // Each table reached through an index on exactly the batch's rows (ids; calls by their
    // binding), never a scan of the id range (its other rows) or of a month's call records.
    // Every parameter is used whatever the batch holds (an empty array matches no row).
    const callSet = `SET phone_no = t.p, peer_no = t.q,
                phone_no_hash = coalesce(c.phone_no_hash, t.hp),
                peer_no_hash = coalesce(c.peer_no_hash, t.hq),
                raw = t.raw, aged_at = $6
           FROM unnest($9::bigint[], $10::uuid[], $11::text[], $12::text[], $13::bytea[],
                       $14::bytea[], $15::jsonb[]) AS t(id, bid, p, q, hp, hq, raw)`;
    const updates: Array<{ kind: 'bindings' | 'calls'; sql: string }> = [];
    for (const part of partsOf('bindings')) {
      updates.push({
        kind: 'bindings',
        sql: `UPDATE ${table(part)} b
            SET phone_a = t.a, phone_b = t.b,
                phone_a_hash = coalesce(b.phone_a_hash, t.ha),
                phone_b_hash = coalesce(b.phone_b_hash, t.hb),
                aged_at = $6
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[], $5::bytea[])
                AS t(id, a, b, ha, hb)
          WHERE b.id = ANY($1::uuid[]) AND b.id = t.id AND b.id >= $7 AND b.id <= $8
            AND b.aged_at IS NULL AND b.ended_at < $16 AND NOT binding_state_live(b.state)
         RETURNING 1`,
      });
    }
    for (const part of partsOf('call_records')) {
      updates.push({
        kind: 'calls',
        sql: `UPDATE ${table(part)} c ${callSet}
          WHERE c.binding_id = ANY($10::uuid[]) AND c.binding_id >= $7 AND c.binding_id <= $8
            AND c.id = t.id AND c.binding_id = t.bid AND c.aged_at IS NULL
         RETURNING 1`,
      });
      // Records the provider sent for no binding: their NULL key is the DEFAULT partition's.
      if (part.is_default) {
        updates.push({
          kind: 'calls',
          sql: `UPDATE ${table(part)} c ${callSet}
          WHERE c.binding_id IS NULL AND t.bid IS NULL AND c.id = t.id AND c.aged_at IS NULL
         RETURNING 1`,
        });
      }
    }
    // Aging rewrites the numbers of ended bindings only (none in a live state, checked again under
    // the row lock): nothing the record's trigger follows (live pairs, reconciliation, SubsIds,
    // routing caches) changes, so it is told to skip this statement (bindings_changed(),
    // 030_binding_record.sql), not join the batch's old and new rows to find that out.
    await client.query(`SELECT set_config('axb.aging_followed', 'on', true)`);
    const count = (kind: 'bindings' | 'calls') =>
      [
        '0',
        ...updates.flatMap((u, i) => (u.kind === kind ? [`(SELECT count(*) FROM u${i})`] : [])),
      ].join(' + ');
    const { rows } = await client.query<{ bindings: number; calls: number }>(
      `WITH ${updates.map((u, i) => `u${i} AS (${u.sql})`).join(',\n')}
       SELECT (${count('bindings')})::int AS bindings, (${count('calls')})::int AS calls`,
      [
        bindings.map((r) => r.id),
        bindings.map((r) => maskPhone(r.phone_a)),
        bindings.map((r) => maskPhone(r.phone_b)),
        bindings.map((r) => hash(r.phone_a, r.hashed_a)),
        bindings.map((r) => hash(r.phone_b, r.hashed_b)),
        now,
        lo,
        hi,
        calls.map((r) => r.id),
        calls.map((r) => r.binding_id),
        calls.map((r) => mask(r.phone_no)),
        calls.map((r) => mask(r.peer_no)),
        calls.map((r) => hash(r.phone_no, r.hashed_no)),
        calls.map((r) => hash(r.peer_no, r.hashed_peer)),
        calls.map((r) => maskPhonesInText(r.raw)),
        cutoff,
      ],
    );
    await client.query(`SELECT set_config('axb.aging_followed', '', true)`);
    return rows[0] ?? { bindings: 0, calls: 0 };
  }

  /** A masked number (aged, erased) has no hash: NO_HASH. */
  private hashOf(phone: string): Buffer | null {
    return phone.includes('*') ? NO_HASH : this.hasher.hash(phone);
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
