import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { maskPhone } from '../../common/privacy/mask-phone.js';
import { NumbersRepository } from '../../inventory/numbers.repository.js';
import { RoutingService } from '../routing.service.js';
import { parseHealthReport } from './health-report.parser.js';

/**
 * Receives the provider's number-health reports (SecretExceptionPhoneReport) and marks X abnormal
 * or healthy in the inventory: the local routing rule and X selection read that column. Cached
 * routing answers dialling X are dropped here at once; every instance (this one too) also drops
 * them when the database's change notification arrives (RouteCacheListener).
 */
@Injectable()
export class NumberHealthService {
  private readonly logger = new Logger(NumberHealthService.name);

  constructor(
    private readonly clock: Clock,
    private readonly numbers: NumbersRepository,
    private readonly routing: RoutingService,
  ) {}

  async receive(items: unknown[]): Promise<{ applied: number; ignored: number }> {
    let applied = 0;
    let ignored = 0;
    for (const [index, item] of items.entries()) {
      const parsed = parseHealthReport(item);
      if (!parsed.ok) {
        ignored += 1;
        this.logger.warn(`Health report #${index} skipped: ${parsed.problem}`);
        continue;
      }
      const { secretNo, health, at } = parsed.report;
      this.routing.forgetX(secretNo);
      const set = await this.numbers.reportHealth(secretNo, health, at ?? this.clock.now());
      if (set) {
        applied += 1;
        this.logger.log(`X ${maskPhone(secretNo)} reported ${health}`);
      } else {
        ignored += 1;
      }
    }
    return { applied, ignored };
  }
}
