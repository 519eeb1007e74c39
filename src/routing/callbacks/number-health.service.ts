import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { maskPhone } from '../../common/privacy/mask-phone.js';
import { NumbersRepository } from '../../inventory/numbers.repository.js';
import { RoutingService } from '../routing.service.js';
import { parseHealthReport } from './health-report.parser.js';
import { ReportDeadLetters, type Unstorable } from './report-dead-letters.js';
import { emptyReceipt, type ReportReceipt, type ReportSource } from './report-source.js';

/**
 * Number-health reports (SecretExceptionPhoneReport; Alibaba sends them only through the message
 * queue): marks X abnormal or healthy in the inventory, which the local routing rule and X
 * selection read. A report older than the last one applied changes nothing (counted as a
 * duplicate); a report dated in the future counts as received now (see health-report.parser).
 * Cached routing answers dialling X are dropped here at once; every instance (this one too) also
 * drops them when the database's change notification arrives (RouteCacheListener).
 */
@Injectable()
export class NumberHealthService {
  private readonly logger = new Logger(NumberHealthService.name);

  constructor(
    private readonly clock: Clock,
    private readonly numbers: NumbersRepository,
    private readonly routing: RoutingService,
    private readonly deadLetters: ReportDeadLetters,
  ) {}

  async receive(items: readonly unknown[], source: ReportSource): Promise<ReportReceipt> {
    const receivedAt = this.clock.now();
    const receipt = emptyReceipt(items.length);
    const failures: Unstorable[] = [];
    for (const item of items) {
      const parsed = parseHealthReport(item, receivedAt);
      if (!parsed.ok) {
        failures.push({ payload: item, reason: parsed.problem });
        continue;
      }
      const { secretNo, health, at, clamped } = parsed.value;
      if (clamped) this.logger.warn(`Health report of ${maskPhone(secretNo)}: time not believed`);
      const set = await this.numbers.reportHealth(secretNo, health, at);
      this.forgetRoutes(secretNo);
      if (set) {
        receipt.stored += 1;
        this.logger.log(`X ${maskPhone(secretNo)} reported ${health}`);
      } else {
        receipt.duplicates += 1;
      }
    }
    receipt.deadLettered = failures.length;
    await this.deadLetters.add('SecretExceptionPhoneReport', source, failures, receivedAt);
    this.deadLetters.count('SecretExceptionPhoneReport', source, receipt);
    return receipt;
  }

  /**
   * The one place health reaches routing: cached answers dialling X are dropped after the write
   * (other instances re-check health on every hit). If routing moves to invalidation by database
   * notification, this call is what changes.
   */
  private forgetRoutes(secretNo: string): void {
    this.routing.forgetX(secretNo);
  }
}
