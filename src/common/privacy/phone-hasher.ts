import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/** The file under EMBEDDED_PG_DIR where embedded defaults keep their generated secret. */
export const EMBEDDED_SECRET_FILE = 'phone-hash-secret';

/**
 * The keyed hash each number of the record is written with and keeps once aged (HMAC-SHA256 of
 * its digits under PHONE_HASH_SECRET): a search by the full number finds the record through it,
 * and nobody without the secret can turn a hash back into a number (a phone number has too few
 * digits for an unkeyed hash to hide it).
 *
 * Without PHONE_HASH_SECRET, embedded defaults (no DATABASE_URL) generate one and keep it beside
 * the embedded database; with a database of its own the service has no secret to use, so it
 * hashes and ages nothing (logged at start) rather than keep hashes no one can reproduce later.
 */
@Injectable()
export class PhoneHasher {
  private readonly logger = new Logger(PhoneHasher.name);
  private readonly secret: Buffer | null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.secret = secretOf(config);
    if (!this.secret) {
      this.logger.warn(
        'PHONE_HASH_SECRET is not set: numbers are neither hashed nor aged, and a search by phone ' +
          'reads every binding made without a hash (see README "Privacy aging")',
      );
    }
  }

  get available(): boolean {
    return this.secret !== null;
  }

  /** The hash of a number (its digits), or null without a secret. */
  hash(phone: string): Buffer | null {
    if (!this.secret) return null;
    return createHmac('sha256', this.secret).update(phone.replace(/\D/g, '')).digest();
  }
}

function secretOf(config: AppConfig): Buffer | null {
  const given = config.privacy.hashSecret;
  if (given) return Buffer.from(given, 'utf8');
  if (config.database.url !== undefined) return null;
  const dir = config.database.embedded.dir;
  const file = join(dir, EMBEDDED_SECRET_FILE);
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch {
    const secret = randomBytes(32);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${secret.toString('base64')}\n`, { mode: 0o600 });
    return secret;
  }
}
