import { alicomQueueName, type MessageType } from '../protocol/alicom-messages.js';
import type { DybaseapiClient, QueueCredential } from '../provider/dybaseapi/dybaseapi.client.js';

interface Cached {
  credential: QueueCredential;
  fetchedAt: number;
}

/**
 * Temporary credentials per queue from Dybaseapi QueryTokenForMnsQueue, shared by the queue's
 * pollers: renewed `refreshMs` before ExpireTime (at most half-way through a short-lived
 * credential), renewed at once when MNS refuses one, one request at a time per queue.
 */
export class QueueCredentials {
  private readonly cached = new Map<MessageType, Cached>();
  private readonly pending = new Map<MessageType, Promise<QueueCredential>>();

  constructor(
    private readonly dybaseapi: DybaseapiClient,
    private readonly accountUid: string,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(type: MessageType, signal: AbortSignal): Promise<QueueCredential> {
    const cached = this.cached.get(type);
    if (cached && !this.due(cached)) return Promise.resolve(cached.credential);
    let pending = this.pending.get(type);
    if (!pending) {
      pending = this.fetch(type, signal).finally(() => this.pending.delete(type));
      this.pending.set(type, pending);
    }
    return pending;
  }

  /** MNS refused the credential (expired early, revoked): the next get() fetches a new one. */
  invalidate(type: MessageType): void {
    this.cached.delete(type);
  }

  private due(cached: Cached): boolean {
    const expiresAt = cached.credential.expiresAt.getTime();
    const margin = Math.min(this.refreshMs, (expiresAt - cached.fetchedAt) / 2);
    return expiresAt - this.now() <= margin;
  }

  private async fetch(type: MessageType, signal: AbortSignal): Promise<QueueCredential> {
    const fetchedAt = this.now();
    const credential = await this.dybaseapi.queryTokenForMnsQueue(
      { messageType: type, queueName: alicomQueueName(this.accountUid, type) },
      { signal },
    );
    this.cached.set(type, { credential, fetchedAt });
    return credential;
  }
}
