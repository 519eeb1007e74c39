import { Injectable } from '@nestjs/common';
import type { DatabaseError } from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { inTransaction } from '../prisma/transaction.js';
import type { Role } from './roles.js';

export interface StoredKey {
  name: string;
  prefix: string;
  secretHash: string;
  roles: Role[];
  /** The key's caller group; null: the key's own name (principal.ts). */
  group: string | null;
  source: 'cli' | 'config';
  createdAt: Date;
}

const STORED = `name, prefix, secret_hash AS "secretHash", roles, caller_group AS "group", source,
       created_at AS "createdAt"`;

/** api_keys rows: only hashes of key secrets are stored. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findLiveByPrefix(prefix: string): Promise<StoredKey | null> {
    const [row] = await this.prisma.$queryRaw<StoredKey[]>(Prisma.sql`
      SELECT ${Prisma.raw(STORED)} FROM api_keys WHERE prefix = ${prefix} AND revoked_at IS NULL`);
    return row ?? null;
  }

  listLive(): Promise<StoredKey[]> {
    return this.prisma.$queryRaw<StoredKey[]>(Prisma.sql`
      SELECT ${Prisma.raw(STORED)} FROM api_keys WHERE revoked_at IS NULL ORDER BY name`);
  }

  /**
   * Stores a key as the live key of its name: any other live key of that name is revoked
   * (rotation), and the key's row is inserted, or, when its prefix is already stored (several
   * instances storing the same configured key at once, or a configured key revoked by hand),
   * updated to this name, secret, roles and source and made live again. One transaction; no
   * check-then-insert, so instances starting together all succeed. A concurrent writer of
   * another key under the same name (misconfigured instances) makes the live-name index refuse
   * one of them; that one is run once more, and then revokes the other's key.
   */
  async store(key: Omit<StoredKey, 'createdAt'>, now: Date): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const client = await this.prisma.pgPool.connect();
      try {
        await inTransaction(client, async () => {
          await client.query(
            `UPDATE api_keys SET revoked_at = $3
              WHERE name = $1 AND revoked_at IS NULL AND prefix <> $2`,
            [key.name, key.prefix, now],
          );
          await client.query(
            `INSERT INTO api_keys (name, prefix, secret_hash, roles, source, created_at, caller_group)
             VALUES ($1, $2, $3, $4::text[], $5, $6, $7)
             ON CONFLICT (prefix) DO UPDATE
                SET name = excluded.name, secret_hash = excluded.secret_hash,
                    roles = excluded.roles, source = excluded.source,
                    caller_group = excluded.caller_group, revoked_at = NULL`,
            [key.name, key.prefix, key.secretHash, key.roles, key.source, now, key.group],
          );
        });
        client.release();
        return;
      } catch (error) {
        client.release(error as Error);
        const liveName = (error as DatabaseError).constraint === 'api_keys_live_name_key';
        if (!liveName || attempt >= 2) throw error;
      }
    }
  }

  async revoke(name: string, now: Date): Promise<number> {
    return this.prisma.$executeRaw(Prisma.sql`
      UPDATE api_keys SET revoked_at = ${now} WHERE name = ${name} AND revoked_at IS NULL`);
  }

  /**
   * One access_log row: who read which bindings' full numbers, or searched by a phone number
   * (`search`, the number masked). A read that returned no binding is recorded only when it was
   * a search: a miss is as telling as a hit when guessing a masked number.
   */
  async recordAccess(
    actor: string,
    route: string,
    bindingIds: string[],
    requestId: string,
    now: Date,
    search?: Record<string, string>,
  ): Promise<void> {
    if (bindingIds.length === 0 && !search) return;
    await this.prisma.$executeRaw(Prisma.sql`
      INSERT INTO access_log (actor, route, binding_ids, request_id, at, search)
      VALUES (${actor}, ${route}, ${bindingIds}::uuid[], ${requestId}, ${now},
              ${search ? JSON.stringify(search) : null}::jsonb)`);
  }
}
