import { Injectable } from '@nestjs/common';
import type { BindingState } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { isCallRestrict } from '../protocol/call-control.js';
import { isBlackType, isWayControl, type BlacklistRule } from '../protocol/secret-blacklist.js';
import type { RoutingTarget } from './routing-target.js';

interface TargetRow {
  id: string;
  pool_key: string;
  state: BindingState;
  phone_a: string;
  phone_b: string;
  phone_x: string | null;
  subs_id: string | null;
  expires_at: Date;
  health: 'normal' | 'abnormal' | null;
  health_source: 'queue' | 'push' | null;
  x_locked: boolean;
  call_restrict: string | null;
  blacklist: Array<{ t: string; p: string; q: string | null; w: string | null }> | null;
}

// X's health and lock come from the held-number partial unique index; the binding from its
// primary key (by id), or by order: its live pair's (pool, outId) index, else the record's; the
// pool's blacklist entries naming A or B through pool_blacklist's (pool, phone) and (pool,
// peer_phone) indexes (usually none: an empty index probe each). One round trip either way.
const COLUMNS = `b.id, b.pool_key, b.state, b.phone_a, b.phone_b, b.phone_x, b.subs_id,
       b.expires_at, n.health, n.health_source, n.locked_at IS NOT NULL AS x_locked,
       b.call_restrict,
       (SELECT json_agg(json_build_object('t', l.black_type, 'p', l.phone, 'q', l.peer_phone,
                                          'w', l.way_control))
          FROM pool_blacklist l
         WHERE l.pool_key = b.pool_key
           AND (l.phone IN (b.phone_a, b.phone_b) OR l.peer_phone IN (b.phone_a, b.phone_b)))
         AS blacklist
  FROM bindings b
  LEFT JOIN secret_numbers n ON n.number = b.phone_x AND n.state <> 'released'`;

const BY_ID = `SELECT ${COLUMNS} WHERE b.id = $1::uuid`;

// The live binding of the order if there is one, else its latest: so that A or B of an order that
// has just ended learn "expired" rather than nothing.
const BY_OUT_ID = `SELECT ${COLUMNS}
 WHERE b.id = coalesce(
   (SELECT lp.binding_id FROM live_pairs lp WHERE lp.pool_key = $1 AND lp.out_id = $2),
   (SELECT r.id FROM bindings r WHERE r.pool_key = $1 AND r.out_id = $2
     ORDER BY r.created_at DESC LIMIT 1))`;

/**
 * The reads of call routing on a cache miss, on the raw pg pool with named (prepared) statements:
 * Prisma's per-query overhead would double a miss's cost.
 */
@Injectable()
export class RoutingTargetRepository {
  constructor(private readonly prisma: PrismaService) {}

  async byId(id: string): Promise<RoutingTarget | undefined> {
    const { rows } = await this.prisma.pgPool.query<TargetRow>({
      name: 'routing-target-by-id',
      text: BY_ID,
      values: [id],
    });
    return rows[0] && toTarget(rows[0]);
  }

  async byOutId(poolKey: string, outId: string): Promise<RoutingTarget | undefined> {
    const { rows } = await this.prisma.pgPool.query<TargetRow>({
      name: 'routing-target-by-out-id',
      text: BY_OUT_ID,
      values: [poolKey, outId],
    });
    return rows[0] && toTarget(rows[0]);
  }
}

function toTarget(row: TargetRow): RoutingTarget {
  return {
    id: row.id,
    poolKey: row.pool_key,
    state: row.state,
    phoneA: row.phone_a,
    phoneB: row.phone_b,
    phoneX: row.phone_x,
    subsId: row.subs_id,
    expiresAt: row.expires_at,
    xHealth: row.health,
    xHealthSource: row.health_source,
    xLocked: row.x_locked === true,
    callRestrict: isCallRestrict(row.call_restrict) ? row.call_restrict : null,
    blacklist: (row.blacklist ?? []).flatMap((e): BlacklistRule[] =>
      isBlackType(e.t)
        ? [
            {
              blackType: e.t,
              blackNo: { first: e.p, second: e.q },
              wayControl: e.w !== null && isWayControl(e.w) ? e.w : null,
            },
          ]
        : [],
    ),
  };
}
