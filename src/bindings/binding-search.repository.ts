import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Binding } from '../generated/prisma/client.js';
import type { BindingState } from '../generated/prisma/enums.js';
import { AdminReadsDatabase } from '../prisma/admin-reads.database.js';
import { PhoneHasher } from '../common/privacy/phone-hasher.js';
import { BINDING_COLUMNS, toBinding, type BindingRow } from './binding-row.js';
import { idBoundAt } from './binding-id-bound.js';

export interface BindingFilter {
  outId?: string;
  phone?: string;
  phoneX?: string;
  state?: BindingState;
  createdFrom?: Date;
  createdTo?: Date;
}

/** Position after the last row of a page: (created_at, id) of that row, newest first. */
export interface PageCursor {
  createdAt: Date;
  id: string;
}

/** How long the creation time of the newest binding made before partitioning is reused. */
const HORIZON_TTL_MS = 300_000;

/**
 * The newest creation time of a binding whose id carries no time (a v4 id, made before the
 * record was partitioned): in the DEFAULT partition, or taken by a month (history_legacy_bindings).
 * Null when there is none left. It only falls (retention deletes them; none is made any more).
 */
const LEGACY_HORIZON = {
  name: 'binding-search-legacy-horizon',
  text: `SELECT greatest(
           (SELECT max(d.created_at) FROM bindings_default d WHERE NOT binding_id_has_time(d.id)),
           (SELECT max(b.created_at) FROM history_legacy_bindings l
              JOIN bindings b ON b.id = l.binding_id)) AS horizon`,
};

/**
 * Admin history search over bindings, keyset-paginated on (created_at DESC, id DESC), on the admin
 * reads' own pool and statement timeout (a wide search never waits for, or holds, the call path's
 * connections). Plain SQL as named, prepared statements (one per filter shape: planned once per
 * connection, not per call):
 * - every searched column's index carries the page's order (order, X, the hashes of A and B:
 *   migration 20261207042000_history_search_indexes), so a page reads 51 entries of one index
 *   range per partition; a search by phone is three such branches (the keyed hashes of A and B,
 *   aged or not, and the bindings not hashed yet: migration 20261207060000_aging_hot_updates),
 *   merged;
 * - a creation range also bounds the id (a binding id is a UUIDv7 of its creation time), so only
 *   the month partitions of that range are read — unless the range reaches back before the newest
 *   binding made before partitioning, whose random v4 id says nothing of its time.
 */
@Injectable()
export class BindingSearchRepository {
  private horizon: { at: number; value: Date | null } | undefined;

  constructor(
    private readonly admin: AdminReadsDatabase,
    private readonly hasher: PhoneHasher,
  ) {}

  async search(filter: BindingFilter, limit: number, after?: PageCursor): Promise<Binding[]> {
    const values: unknown[] = [];
    const param = (value: unknown, cast: string) => {
      values.push(value);
      return `$${values.length}::${cast}`;
    };
    const common: string[] = [];
    if (filter.outId) common.push(`out_id = ${param(filter.outId, 'text')}`);
    if (filter.phoneX) common.push(`phone_x = ${param(filter.phoneX, 'text')}`);
    if (filter.state) common.push(`state = ${param(filter.state, 'binding_state')}`);
    if (filter.createdFrom) {
      common.push(`created_at >= ${param(filter.createdFrom, 'timestamptz')}`);
    }
    if (filter.createdTo) common.push(`created_at < ${param(filter.createdTo, 'timestamptz')}`);
    if (filter.createdFrom && (await this.idsCarryTime(filter.createdFrom))) {
      common.push(`id >= ${param(idBoundAt(filter.createdFrom), 'uuid')}`);
      if (filter.createdTo) common.push(`id < ${param(idBoundAt(filter.createdTo), 'uuid')}`);
    }
    if (after) {
      common.push(
        `(created_at, id) < (${param(after.createdAt, 'timestamptz')}, ${param(after.id, 'uuid')})`,
      );
    }
    const take = param(limit, 'int');
    const page = (where: string[]) =>
      `SELECT ${BINDING_COLUMNS} FROM bindings
        WHERE ${where.length ? where.join(' AND ') : 'true'}
        ORDER BY created_at DESC, id DESC LIMIT ${take}`;
    let text: string;
    if (filter.phone) {
      // A number is found by its keyed hash, aged or not (written with the binding: the number's
      // own column is not indexed, so aging rewrites no index). A binding not hashed yet (made
      // without a secret, or before hashes were written) by the number itself, among those only.
      const phone = param(filter.phone, 'text');
      const digest = this.hasher.hash(filter.phone);
      const branches = [
        `((phone_a_hash IS NULL AND phone_a = ${phone}) OR (phone_b_hash IS NULL AND phone_b = ${phone}))`,
      ];
      if (digest) {
        const hash = param(digest, 'bytea');
        branches.unshift(`phone_a_hash = ${hash}`, `phone_b_hash = ${hash}`);
      }
      text = `SELECT DISTINCT ON (created_at, id) * FROM (${branches
        .map((b) => `(${page([b, ...common])})`)
        .join(' UNION ALL ')}) u
        ORDER BY created_at DESC, id DESC LIMIT ${take}`;
    } else {
      text = page(common);
    }
    const name = `binding-search-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    const rows = await this.admin.rows<BindingRow>({ name, text, values });
    return rows.map(toBinding);
  }

  /** Whether every binding created at or after `from` has an id that carries its time. */
  private async idsCarryTime(from: Date): Promise<boolean> {
    const now = Date.now();
    if (!this.horizon || now - this.horizon.at > HORIZON_TTL_MS) {
      const [row] = await this.admin.rows<{ horizon: Date | null }>(LEGACY_HORIZON);
      this.horizon = { at: now, value: row?.horizon ?? null };
    }
    return this.horizon.value === null || from.getTime() > this.horizon.value.getTime();
  }
}
