import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { parseCallRecord, type CallRecordInput } from './call-record.parser.js';
import { CallRecordsRepository, type StoredCall } from './call-records.repository.js';
import { ReportDeadLetters, type Unstorable } from './report-dead-letters.js';
import { emptyReceipt, type ReportReceipt, type ReportSource } from './report-source.js';

/** Postgres error classes that belong to a record's data (22 data exception, 23 constraint). */
function refusedData(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return undefined;
  return `database refused the record (${code}): ${(error as Error).message}`;
}

/**
 * Call records (SecretReport), pushed or queued. Each record is read on its own: unreadable ones
 * are dead-lettered and the rest stored in one statement. Should the database refuse the batch
 * for a record's data, the records are stored one by one so only the bad one is dead-lettered.
 * Any other database failure propagates: the provider delivers again (push) or the message
 * reappears (queue), and what was stored is not stored twice.
 */
@Injectable()
export class CallRecordsService {
  private readonly logger = new Logger(CallRecordsService.name);

  constructor(
    private readonly clock: Clock,
    private readonly records: CallRecordsRepository,
    private readonly deadLetters: ReportDeadLetters,
  ) {}

  async receive(items: readonly unknown[], source: ReportSource): Promise<ReportReceipt> {
    const receivedAt = this.clock.now();
    const receipt = emptyReceipt(items.length);
    const failures: Unstorable[] = [];
    const valid = new Map<string, CallRecordInput>();
    for (const item of items) {
      const parsed = parseCallRecord(item, receivedAt);
      if (!parsed.ok) failures.push({ payload: item, reason: parsed.problem });
      else if (!valid.has(parsed.value.callId)) valid.set(parsed.value.callId, parsed.value);
    }

    const stored = await this.store([...valid.values()], receivedAt, failures);
    receipt.stored = stored.length;
    receipt.deadLettered = failures.length;
    receipt.duplicates = items.length - receipt.stored - receipt.deadLettered;
    await this.deadLetters.add('SecretReport', source, failures, receivedAt);
    this.deadLetters.count('SecretReport', source, receipt);
    const unlinked = stored.filter((s) => s.bindingId === null).length;
    if (unlinked > 0)
      this.logger.warn(`${unlinked} call record(s) match no binding; stored unlinked`);
    return receipt;
  }

  private async store(
    records: CallRecordInput[],
    receivedAt: Date,
    failures: Unstorable[],
  ): Promise<StoredCall[]> {
    try {
      return await this.records.storeBatch(records, receivedAt);
    } catch (error) {
      const refused = refusedData(error);
      if (!refused) throw error;
      if (records.length === 1) {
        failures.push({ payload: records[0]!.raw, reason: refused });
        return [];
      }
    }
    const stored: StoredCall[] = [];
    for (const record of records)
      stored.push(...(await this.store([record], receivedAt, failures)));
    return stored;
  }
}
