/** Where a provider report came from: an HTTP push, or one message of an MNS queue. */
export type ReportSource =
  | { kind: 'push' }
  | {
      kind: 'queue';
      messageId: string;
      /** How often the queue has handed this message out (MNS DequeueCount). */
      attempts: number;
    };

/** What became of a batch of reports. */
export interface ReportReceipt {
  received: number;
  /** New records stored (or health reports applied). */
  stored: number;
  /** Already stored (a redelivery), or older than what is known (health). */
  duplicates: number;
  /** Unreadable or refused by the database: kept in dead_letters, never retried. */
  deadLettered: number;
}

export const emptyReceipt = (received: number): ReportReceipt => ({
  received,
  stored: 0,
  duplicates: 0,
  deadLettered: 0,
});
