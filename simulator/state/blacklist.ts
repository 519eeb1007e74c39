import {
  blacklistBlocks,
  blacklistKey,
  formatBlackNo,
  type BlacklistRule,
} from '../../src/protocol/secret-blacklist.js';

export interface BlacklistEntry extends BlacklistRule {
  poolKey: string;
  remark: string | null;
  addedAt: number;
}

/**
 * The pools' blacklists (AddSecretBlacklist / DeleteSecretBlacklist). An entry is named by its
 * pool, type and BlackNo; adding it again replaces its WayControl and Remark.
 */
export class BlacklistStore {
  private readonly entries = new Map<string, BlacklistEntry>();

  put(entry: BlacklistEntry): void {
    this.entries.set(this.key(entry), entry);
  }

  /** True when there was such an entry. */
  remove(entry: Pick<BlacklistEntry, 'poolKey' | 'blackType' | 'blackNo'>): boolean {
    return this.entries.delete(this.key(entry));
  }

  list(poolKey?: string): Array<BlacklistEntry & { blackNoText: string }> {
    return [...this.entries.values()]
      .filter((e) => poolKey === undefined || e.poolKey === poolKey)
      .map((e) => ({ ...e, blackNoText: formatBlackNo(e.blackNo) }));
  }

  /** The first entry of the pool that blocks caller → callee, if any. */
  blocking(poolKey: string, caller: string, callee: string): BlacklistEntry | undefined {
    for (const entry of this.entries.values()) {
      if (entry.poolKey === poolKey && blacklistBlocks(entry, caller, callee)) return entry;
    }
    return undefined;
  }

  private key(entry: Pick<BlacklistEntry, 'poolKey' | 'blackType' | 'blackNo'>): string {
    return `${entry.poolKey}|${blacklistKey(entry.blackType, entry.blackNo)}`;
  }
}
