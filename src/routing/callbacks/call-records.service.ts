import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { parseCallRecord } from './call-record.parser.js';
import { CallRecordsRepository } from './call-records.repository.js';

export interface CallRecordsReceipt {
  stored: number;
  duplicates: number;
  unlinked: number;
  rejected: number;
}

/** Receives the provider's SecretReport pushes. */
@Injectable()
export class CallRecordsService {
  private readonly logger = new Logger(CallRecordsService.name);

  constructor(
    private readonly clock: Clock,
    private readonly records: CallRecordsRepository,
  ) {}

  /**
   * Stores each record of the push once. A record that cannot be read is logged and skipped: a
   * redelivery would not fix it. A database failure propagates, so the provider delivers again.
   */
  async receive(items: unknown[]): Promise<CallRecordsReceipt> {
    const receipt: CallRecordsReceipt = { stored: 0, duplicates: 0, unlinked: 0, rejected: 0 };
    for (const [index, item] of items.entries()) {
      const parsed = parseCallRecord(item);
      if (!parsed.ok) {
        receipt.rejected += 1;
        this.logger.warn(`Call record #${index} skipped: ${parsed.problem}`);
        continue;
      }
      const outcome = await this.records.store(parsed.record, this.clock.now());
      if (!outcome.stored) receipt.duplicates += 1;
      else {
        receipt.stored += 1;
        if (!outcome.bindingId) {
          receipt.unlinked += 1;
          this.logger.warn(
            `Call record ${parsed.record.callId} matches no binding; stored unlinked`,
          );
        }
      }
    }
    return receipt;
  }
}
