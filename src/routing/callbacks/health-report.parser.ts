import { instant, readableObject, UnreadableReport } from './report-fields.js';
import { parseWith, type Parsed } from './call-record.parser.js';

/** One SecretExceptionPhoneReport: X went abnormal (noStatus 0) or recovered (1). */
export interface HealthReport {
  secretNo: string;
  health: 'normal' | 'abnormal';
  /** When the provider saw it (reports may arrive out of order), never later than received. */
  at: Date;
  /** The report's own time was absent, unreadable or in the future beyond the allowed skew. */
  clamped: boolean;
}

/** How far ahead of our clock a report may be dated before its time is not believed. */
export const HEALTH_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Reads one report. Reports apply in the order of their own time (a late retry must not undo a
 * newer one), so a time in the future would pin X's health until then: a time more than
 * HEALTH_CLOCK_SKEW_MS ahead of receipt (9999-12-31, a clock gone wrong) is replaced by the time
 * of receipt, as is a missing or unreadable one.
 */
export function parseHealthReport(value: unknown, receivedAt: Date): Parsed<HealthReport> {
  return parseWith(() => {
    const raw = readableObject(value);
    const secretNo = typeof raw.secretNo === 'string' ? raw.secretNo.trim() : '';
    if (!/^\d{5,20}$/.test(secretNo)) throw new UnreadableReport('secretNo missing or invalid');
    const status = String(raw.noStatus ?? '');
    if (status !== '0' && status !== '1') throw new UnreadableReport('noStatus must be 0 or 1');
    const reported = instant(raw.timestamp);
    const believable =
      reported !== undefined && reported.getTime() <= receivedAt.getTime() + HEALTH_CLOCK_SKEW_MS;
    return {
      secretNo,
      health: status === '0' ? 'abnormal' : 'normal',
      at: believable ? reported : receivedAt,
      clamped: !believable,
    };
  });
}
