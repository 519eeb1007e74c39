import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/prisma/client.js';
import { PrismaService } from '../../prisma/prisma.service.js';
import type { Role } from '../roles.js';

export interface LiveSession {
  /** The key's name: the actor of what the session does. */
  name: string;
  /** The key's roles now (a key whose roles changed is a new key, so these are stable). */
  roles: Role[];
  expiresAt: Date;
}

/** console_sessions rows: only a sha256 of each session token is stored. */
@Injectable()
export class ConsoleSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(tokenHash: string, keyPrefix: string, now: Date, expiresAt: Date): Promise<void> {
    await this.prisma.$executeRaw(Prisma.sql`
      INSERT INTO console_sessions (token_hash, key_prefix, created_at, expires_at)
      VALUES (${tokenHash}, ${keyPrefix}, ${now}, ${expiresAt})`);
  }

  /**
   * The session if it is live and its key is not revoked, with its expiry slid forward to
   * `now + idle` (never past `created_at + max`): one statement checks and renews it.
   */
  async touch(
    tokenHash: string,
    now: Date,
    idleSeconds: number,
    maxSeconds: number,
  ): Promise<LiveSession | null> {
    const [row] = await this.prisma.$queryRaw<LiveSession[]>(Prisma.sql`
      UPDATE console_sessions s
         SET expires_at = least(${now}::timestamptz + make_interval(secs => ${idleSeconds}),
                                s.created_at + make_interval(secs => ${maxSeconds}))
        FROM api_keys k
       WHERE s.token_hash = ${tokenHash} AND s.revoked_at IS NULL AND s.expires_at > ${now}
         AND k.prefix = s.key_prefix AND k.revoked_at IS NULL
      RETURNING k.name, k.roles, s.expires_at AS "expiresAt"`);
    return row ?? null;
  }

  async revoke(tokenHash: string, now: Date): Promise<void> {
    await this.prisma.$executeRaw(Prisma.sql`
      UPDATE console_sessions SET revoked_at = ${now}
       WHERE token_hash = ${tokenHash} AND revoked_at IS NULL`);
  }

  /** Drops sessions that ended more than a day ago (kept that long for a look after an incident). */
  async prune(now: Date): Promise<number> {
    return this.prisma.$executeRaw(Prisma.sql`
      DELETE FROM console_sessions
       WHERE expires_at < ${now}::timestamptz - interval '1 day'
          OR revoked_at < ${now}::timestamptz - interval '1 day'`);
  }
}
