/** Which party of the binding is calling. */
export type PartyRole = 'A' | 'B';

interface Entry {
  phoneX: string;
  /** The binding's updated_at (ms) when the answer was cached: any change invalidates it. */
  version: number;
  /** Clock time (ms) after which the entry is stale. */
  staleAt: number;
}

/**
 * Recent status-1 answers (dial X) per (binding, caller), so bursts of calls on one binding do not
 * each ask the provider. In memory, per instance, bounded (oldest first out).
 *
 * An entry is used only while its TTL runs, and only if the binding row just read still has the
 * version (updated_at) and the X it was cached with: an update, unbind or expiry anywhere, by any
 * instance, makes the next lookup miss. Health reports and expiries seen here also drop entries
 * explicitly, so memory is not held by answers that can no longer be used.
 */
export class RouteCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByX = new Map<string, Set<string>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached X for this caller of this binding version, if still fresh. */
  get(bindingId: string, role: PartyRole, version: number, phoneX: string, now: number) {
    const key = cacheKey(bindingId, role);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.staleAt <= now || entry.version !== version || entry.phoneX !== phoneX) {
      this.remove(key, entry);
      return undefined;
    }
    return entry.phoneX;
  }

  set(bindingId: string, role: PartyRole, version: number, phoneX: string, now: number): void {
    if (this.ttlMs <= 0) return;
    const key = cacheKey(bindingId, role);
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    while (this.entries.size >= this.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.remove(oldestKey, oldest);
    }
    this.entries.set(key, { phoneX, version, staleAt: now + this.ttlMs });
    let keys = this.keysByX.get(phoneX);
    if (!keys) this.keysByX.set(phoneX, (keys = new Set()));
    keys.add(key);
  }

  /** Drops both parties' answers for a binding (it changed or ended). */
  dropBinding(bindingId: string): void {
    for (const role of ['A', 'B'] as const) {
      const key = cacheKey(bindingId, role);
      const entry = this.entries.get(key);
      if (entry) this.remove(key, entry);
    }
  }

  /** Drops every answer that dials this X (reported abnormal). */
  dropX(phoneX: string): number {
    const keys = this.keysByX.get(phoneX);
    if (!keys) return 0;
    for (const key of keys) this.entries.delete(key);
    this.keysByX.delete(phoneX);
    return keys.size;
  }

  clear(): void {
    this.entries.clear();
    this.keysByX.clear();
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    const keys = this.keysByX.get(entry.phoneX);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByX.delete(entry.phoneX);
  }
}

function cacheKey(bindingId: string, role: PartyRole): string {
  return `${bindingId}:${role}`;
}
