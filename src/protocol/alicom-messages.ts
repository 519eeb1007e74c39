/**
 * Dyplsapi's message types and the MNS queues Alibaba delivers them through
 * (`Alicom-Queue-<account uid>-<MessageType>`, one queue per type and account).
 */

export const MESSAGE_TYPES = [
  'SecretReport',
  'SecretExceptionPhoneReport',
  'SecretRecording',
  'SecretAsrReport',
  'SecretStartReport',
  'SecretRingReport',
  'SecretPickUpReport',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(value: string): value is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(value);
}

export function alicomQueueName(accountUid: string, type: MessageType): string {
  return `Alicom-Queue-${accountUid}-${type}`;
}

/** The MNS account that hosts the Alicom queues (the one `@alicloud/pls-sdk` addresses). */
export const ALICOM_MNS_ACCOUNT = '1943695596114318';
