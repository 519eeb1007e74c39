import {
  alicomQueueName,
  MESSAGE_TYPES,
  type MessageType,
} from '../../src/protocol/alicom-messages.js';
import { stringifyWithBigIntegers } from '../../src/protocol/json-big-integers.js';
import { MessageQueue } from './message-queue.js';

/** The account's Alicom queues, one per message type, and what the simulator publishes to them. */
export class AlicomQueues {
  private readonly queues = new Map<string, MessageQueue>();

  constructor(
    readonly accountUid: string,
    visibilityTimeoutMs: number,
  ) {
    for (const type of MESSAGE_TYPES) {
      const name = alicomQueueName(accountUid, type);
      this.queues.set(name, new MessageQueue(name, visibilityTimeoutMs));
    }
  }

  byName(name: string): MessageQueue | undefined {
    return this.queues.get(name);
  }

  byType(type: MessageType): MessageQueue {
    return this.queues.get(alicomQueueName(this.accountUid, type))!;
  }

  all(): MessageQueue[] {
    return [...this.queues.values()];
  }

  /** One message per record: its JSON is the message body, as Alibaba delivers them. */
  publish(type: MessageType, record: unknown, now = Date.now()): void {
    this.byType(type).send(stringifyWithBigIntegers(record), now);
  }

  wakeAll(): void {
    for (const queue of this.queues.values()) queue.wakeAll();
  }
}
