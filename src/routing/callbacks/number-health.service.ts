import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { maskPhone } from '../../common/privacy/mask-phone.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { NumbersRepository } from '../../inventory/numbers.repository.js';
import { RoutingService } from '../routing.service.js';
import { parseHealthReport } from './health-report.parser.js';
import { ReportDeadLetters, type Unstorable } from './report-dead-letters.js';
import { emptyReceipt, type ReportReceipt, type ReportSource } from './report-source.js';

/** 403 NUMBER_HEALTH_PUSH_DISABLED: pushed number health is off (CALLBACK_NUMBER_HEALTH_ENABLED). */
export class NumberHealthPushDisabledError extends DomainError {
  constructor() {
    super(
      'NUMBER_HEALTH_PUSH_DISABLED',
      'Number health is taken from the message queue only (CALLBACK_NUMBER_HEALTH_ENABLED=false)',
      403,
    );
  }
}

/**
 * Number-health reports (SecretExceptionPhoneReport; Alibaba sends them only through the message
 * queue): marks X abnormal or healthy in the inventory, which the local routing rule and X
 * selection read, with where the report came from. Only a queued report's origin is proven, so
 * only it lets routing fall back to a real number (routing-target.ts, `provenAbnormal`); HTTP
 * pushes are refused unless CALLBACK_NUMBER_HEALTH_ENABLED, and even then mark X for X selection
 * and the console only. A report older than the last one applied changes nothing (counted as a
 * duplicate); a report dated in the future counts as received now (see health-report.parser).
 * Cached routing answers dialling X are dropped here at once; every instance (this one too) also
 * drops them when the database's change notification arrives (RouteCacheListener).
 */
@Injectable()
export class NumberHealthService {
  private readonly logger = new Logger(NumberHealthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly numbers: NumbersRepository,
    private readonly routing: RoutingService,
    private readonly deadLetters: ReportDeadLetters,
  ) {}

  async receive(items: readonly unknown[], source: ReportSource): Promise<ReportReceipt> {
    if (source.kind === 'push' && !this.config.callbacks.numberHealthEnabled) {
      this.deadLetters.refused('SecretExceptionPhoneReport', source, items.length);
      throw new NumberHealthPushDisabledError();
    }
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
      const set = await this.numbers.reportHealth(secretNo, health, at, source.kind);
      this.forgetRoutes(secretNo);
      if (set) {
        receipt.stored += 1;
        this.logger.log(`X ${maskPhone(secretNo)} reported ${health} (${source.kind})`);
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
