import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import type { Role } from './roles.js';

export interface StoredKey {
  name: string;
  prefix: string;
  secretHash: string;
  roles: Role[];
  source: 'cli' | 'config';
  createdAt: Date;
}

/** api_keys rows: only hashes of key secrets are stored. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findLiveByPrefix(prefix: string): Promise<StoredKey | null> {
    const [row] = await this.prisma.$queryRaw<StoredKey[]>(Prisma.sql`
      SELECT name, prefix, secret_hash AS "secretHash", roles, source, created_at AS "createdAt"
        FROM api_keys WHERE prefix = ${prefix} AND revoked_at IS NULL`);
    return row ?? null;
  }

  listLive(): Promise<StoredKey[]> {
    return this.prisma.$queryRaw<StoredKey[]>(Prisma.sql`
      SELECT name, prefix, secret_hash AS "secretHash", roles, source, created_at AS "createdAt"
        FROM api_keys WHERE revoked_at IS NULL ORDER BY name`);
  }

  /** Adds a key; a live key of the same name is revoked in the same transaction (rotation). */
  async replace(key: Omit<StoredKey, 'createdAt'>, now: Date): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.$executeRaw(Prisma.sql`
        UPDATE api_keys SET revoked_at = ${now} WHERE name = ${key.name} AND revoked_at IS NULL`),
      this.prisma.$executeRaw(Prisma.sql`
        INSERT INTO api_keys (name, prefix, secret_hash, roles, source, created_at)
        VALUES (${key.name}, ${key.prefix}, ${key.secretHash}, ${key.roles}::text[], ${key.source}, ${now})`),
    ]);
  }

  async revoke(name: string, now: Date): Promise<number> {
    return this.prisma.$executeRaw(Prisma.sql`
      UPDATE api_keys SET revoked_at = ${now} WHERE name = ${name} AND revoked_at IS NULL`);
  }

  async recordAccess(
    actor: string,
    route: string,
    bindingIds: string[],
    requestId: string,
    now: Date,
  ): Promise<void> {
    if (bindingIds.length === 0) return;
    await this.prisma.$executeRaw(Prisma.sql`
      INSERT INTO access_log (actor, route, binding_ids, request_id, at)
      VALUES (${actor}, ${route}, ${bindingIds}::uuid[], ${requestId}, ${now})`);
  }
}
