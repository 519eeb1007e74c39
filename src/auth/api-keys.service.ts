import { hash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { hashSecret, parseApiKey, secretMatches } from './api-key.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import type { Principal } from './principal.js';

/** How long a verified key is trusted without asking the database again (also the revocation delay). */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

/** Verifies API keys, keeps configured keys in the database, creates and revokes keys. */
@Injectable()
export class ApiKeysService implements OnModuleInit {
  private readonly logger = new Logger(ApiKeysService.name);
  /** By sha256 of the whole presented token: the hot path (routing) skips the database. */
  private readonly verified = new Map<string, { principal: Principal | null; until: number }>();
  /** Checks against the database in flight, by the same key: requests missing together share one. */
  private readonly checking = new Map<string, Promise<Principal | null>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Keys given in API_KEYS are stored (hashed) at start; a changed key replaces the old one. An
   * upsert (ApiKeysRepository.store), so instances starting together on one database all start.
   */
  async onModuleInit(): Promise<void> {
    for (const entry of this.config.auth.configuredKeys) {
      const parsed = parseApiKey(entry.key)!;
      const stored = await this.keys.findLiveByPrefix(parsed.prefix);
      if (
        stored &&
        stored.name === entry.name &&
        secretMatches(parsed.secret, stored.secretHash) &&
        sameRoles(stored.roles, entry.roles) &&
        stored.group === (entry.group ?? null)
      )
        continue;
      await this.keys.store(
        {
          name: entry.name,
          prefix: parsed.prefix,
          secretHash: hashSecret(parsed.secret),
          roles: [...entry.roles],
          group: entry.group ?? null,
          source: 'config',
        },
        this.clock.now(),
      );
      this.logger.log(
        `API key "${entry.name}" (${entry.roles.join(', ')}` +
          `${entry.group ? `; group ${entry.group}` : ''}) stored from API_KEYS`,
      );
    }
  }

  /**
   * The key's principal (null: not a valid key), from the 30 s cache when it holds the token.
   * When it does not (every 30 s for a key in use), the requests carrying the token meanwhile
   * wait for one read of the database together: each reading on its own, a busy key's requests
   * of the next few milliseconds (or of the whole read, on a loaded database) all queued for
   * the pool at once, and every request behind them with them.
   */
  async authenticate(token: string): Promise<Principal | null> {
    const cacheKey = cacheKeyOf(token);
    const hit = this.verified.get(cacheKey);
    if (hit && hit.until > this.clock.now().getTime()) return hit.principal;
    const running = this.checking.get(cacheKey);
    if (running) return running;
    const check = this.authenticateNow(token).finally(() => this.checking.delete(cacheKey));
    this.checking.set(cacheKey, check);
    return check;
  }

  /**
   * The principal of a token the cache holds as valid, with no wait (the access hook's hot
   * path); undefined when only `authenticate` can tell (not cached, lapsed, or not valid).
   */
  knownPrincipal(token: string): Principal | undefined {
    const hit = this.verified.get(cacheKeyOf(token));
    return hit && hit.until > this.clock.now().getTime() ? (hit.principal ?? undefined) : undefined;
  }

  /**
   * The same, always from the database (and cached afresh): for what a revoked key must not do
   * even within the cache's 30 s, such as opening a console session.
   */
  async authenticateNow(token: string): Promise<Principal | null> {
    const cacheKey = cacheKeyOf(token);
    const now = this.clock.now().getTime();
    const parsed = parseApiKey(token);
    const stored = parsed ? await this.keys.findLiveByPrefix(parsed.prefix) : null;
    const principal =
      parsed && stored && secretMatches(parsed.secret, stored.secretHash)
        ? { name: stored.name, roles: stored.roles, group: stored.group ?? stored.name }
        : null;
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
    this.verified.set(cacheKey, { principal, until: now + CACHE_MS });
    return principal;
  }
}

/** sha256 of the token, in one call (no Hash object per request: this runs on every request). */
function cacheKeyOf(token: string): string {
  return hash('sha256', token, 'hex');
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
