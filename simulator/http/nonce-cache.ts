/**
 * SignatureNonces seen within the timestamp window. A nonce older than the window cannot be
 * replayed anyway (its Timestamp would be refused), so entries are forgotten after it.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /** Records the nonce; false if it was already used within the window. */
  remember(accessKeyId: string, nonce: string, nowMs: number): boolean {
    this.evict(nowMs);
    const key = `${accessKeyId}\u0000${nonce}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }

  private evict(nowMs: number): void {
    // Map iteration is in insertion order, i.e. oldest first; stop at the first fresh entry.
    for (const [key, at] of this.seen) {
      if (nowMs - at <= 2 * this.windowMs) break;
      this.seen.delete(key);
    }
  }
}
