import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { maskPhonesInText } from '../../common/privacy/mask-phone.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { DeadLettersRepository } from './dead-letters.repository.js';
import type { ReportReceipt, ReportSource } from './report-source.js';

export interface Unstorable {
  payload: unknown;
  reason: string;
}

/**
 * Where every report that cannot be stored goes, whatever its type or channel: the dead-letter
 * table (numbers masked), a warning without numbers, and `axb_provider_reports_total`, which
 * also counts what was stored, so every report received is counted once.
 */
@Injectable()
export class ReportDeadLetters {
  private readonly logger = new Logger(ReportDeadLetters.name);
  private readonly reports: Counter<'type' | 'source' | 'outcome'>;

  constructor(
    private readonly letters: DeadLettersRepository,
    metrics: MetricsService,
  ) {
    const name = 'axb_provider_reports_total';
    this.reports =
      (metrics.registry.getSingleMetric(name) as Counter<'type' | 'source' | 'outcome'>) ??
      new Counter({
        name,
        help: 'Provider reports (pushed or queued) by type, source and outcome: stored, duplicate, dead_letter, refused',
        labelNames: ['type', 'source', 'outcome'] as const,
        registers: [metrics.registry],
      });
  }

  async add(
    type: string,
    source: ReportSource,
    failures: readonly Unstorable[],
    receivedAt: Date,
  ): Promise<void> {
    if (failures.length === 0) return;
    await this.letters.add(
      failures.map((f) => ({
        source: source.kind,
        messageType: type,
        messageId: source.kind === 'queue' ? source.messageId : undefined,
        attempts: source.kind === 'queue' ? source.attempts : 1,
        reason: f.reason,
        payload: f.payload,
      })),
      receivedAt,
    );
    for (const f of failures) {
      this.logger.warn(`${type} dead-lettered (${source.kind}): ${maskPhonesInText(f.reason)}`);
    }
  }

  /** Reports refused whole, unread (a channel turned off): counted, nothing stored. */
  refused(type: string, source: ReportSource, count: number): void {
    this.reports.inc({ type, source: source.kind, outcome: 'refused' }, count);
  }

  count(type: string, source: ReportSource, receipt: ReportReceipt): void {
    const labels = { type, source: source.kind };
    if (receipt.stored) this.reports.inc({ ...labels, outcome: 'stored' }, receipt.stored);
    if (receipt.duplicates) {
      this.reports.inc({ ...labels, outcome: 'duplicate' }, receipt.duplicates);
    }
    if (receipt.deadLettered) {
      this.reports.inc({ ...labels, outcome: 'dead_letter' }, receipt.deadLettered);
    }
  }
}
