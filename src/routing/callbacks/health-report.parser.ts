import { parseProviderDate } from '../../protocol/provider-dates.js';

/** One SecretExceptionPhoneReport: X went abnormal (noStatus 0) or recovered (1). */
export interface HealthReport {
  secretNo: string;
  health: 'normal' | 'abnormal';
  /** When the provider saw it, if the report says; reports may arrive out of order. */
  at: Date | undefined;
}

export type ParsedHealthReport =
  { ok: true; report: HealthReport } | { ok: false; problem: string };

/** Epoch seconds or milliseconds (by magnitude), a provider date, or an ISO instant. */
function reportTime(value: unknown): Date | undefined {
  if (typeof value === 'string' && /^\d{10,13}$/.test(value)) value = Number(value);
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return new Date(value < 1e12 ? value * 1000 : value);
  }
  if (typeof value !== 'string') return undefined;
  const parsed = parseProviderDate(value) ?? new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

export function parseHealthReport(value: unknown): ParsedHealthReport {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not an object' };
  }
  const raw = value as Record<string, unknown>;
  const secretNo = typeof raw.secretNo === 'string' ? raw.secretNo.trim() : '';
  if (!/^\d{5,20}$/.test(secretNo)) return { ok: false, problem: 'secretNo missing or invalid' };
  const status = String(raw.noStatus ?? '');
  if (status !== '0' && status !== '1') return { ok: false, problem: 'noStatus must be 0 or 1' };
  return {
    ok: true,
    report: {
      secretNo,
      health: status === '0' ? 'abnormal' : 'normal',
      at: reportTime(raw.timestamp),
    },
  };
}
