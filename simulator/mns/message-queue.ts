import { randomBytes } from 'node:crypto';
import { messageBodyMd5 } from '../../src/protocol/mns-signature.js';

export interface QueuedMessage {
  messageId: string;
  body: string;
  bodyMd5: string;
  enqueueTime: number;
  /** While in the future the message is inactive (received, not yet deleted). */
  nextVisibleTime: number;
  firstDequeueTime: number | null;
  dequeueCount: number;
  /** The handle of the latest receive; only it can delete the message, until nextVisibleTime. */
  receiptHandle: string | null;
  priority: number;
}

export type DeleteResult = 'deleted' | 'MessageNotExist' | 'ReceiptHandleError';

/**
 * One MNS queue: FIFO messages, each received by one consumer at a time. A receive hides the
 * message for the visibility timeout and hands out a fresh receipt handle; deleting with it
 * removes the message; if nobody deletes it in time, it becomes active again (DequeueCount
 * grows) and the old handle stops working. Times are real epoch ms: consumers long-poll in real
 * time, and tests shorten the visibility timeout instead of waiting.
 */
export class MessageQueue {
  private messages: QueuedMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private serial = 0;
  sent = 0;
  deleted = 0;

  constructor(
    readonly name: string,
    public visibilityTimeoutMs: number,
  ) {}

  send(body: string, now: number): QueuedMessage {
    this.serial += 1;
    const message: QueuedMessage = {
      messageId: randomBytes(16).toString('hex').toUpperCase(),
      body,
      bodyMd5: messageBodyMd5(body),
      enqueueTime: now,
      nextVisibleTime: now,
      firstDequeueTime: null,
      dequeueCount: 0,
      receiptHandle: null,
      priority: 8,
    };
    this.messages.push(message);
    this.sent += 1;
    this.wake();
    return message;
  }

  /** The first active message, made inactive for the visibility timeout; undefined if none. */
  tryReceive(now: number): QueuedMessage | undefined {
    const message = this.messages.find((m) => m.nextVisibleTime <= now);
    if (!message) return undefined;
    this.serial += 1;
    message.receiptHandle = `1-${randomBytes(18).toString('base64url')}${this.serial.toString(36)}`;
    message.dequeueCount += 1;
    message.firstDequeueTime ??= now;
    message.nextVisibleTime = now + this.visibilityTimeoutMs;
    return { ...message };
  }

  /**
   * Waits up to `waitMs` for a message (long polling): wakes when one is sent, when an inactive
   * one becomes visible again, when `signal` aborts (undefined) or when the wait ends.
   */
  async receive(waitMs: number, signal: AbortSignal): Promise<QueuedMessage | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const message = this.tryReceive(now);
      if (message || now >= deadline || signal.aborted) return message;
      const nextVisible = this.messages.reduce(
        (min, m) => (m.nextVisibleTime > now ? Math.min(min, m.nextVisibleTime) : min),
        Infinity,
      );
      await this.sleep(Math.min(deadline, nextVisible) - now, signal);
    }
  }

  delete(receiptHandle: string, now: number): DeleteResult {
    if (!/^1-[A-Za-z0-9_-]+$/.test(receiptHandle)) return 'ReceiptHandleError';
    const index = this.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    const message = this.messages[index];
    // A handle is valid until the message becomes visible again (then it is someone else's).
    if (!message || message.nextVisibleTime <= now) return 'MessageNotExist';
    this.messages.splice(index, 1);
    this.deleted += 1;
    return 'deleted';
  }

  counts(now: number): { active: number; inactive: number } {
    const active = this.messages.filter((m) => m.nextVisibleTime <= now).length;
    return { active, inactive: this.messages.length - active };
  }

  list(): QueuedMessage[] {
    return this.messages.map((m) => ({ ...m }));
  }

  /** Ends every long poll (server closing). */
  wakeAll(): void {
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
