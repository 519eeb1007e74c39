import { parseProviderDate } from '../../protocol/provider-dates.js';

/** One SecretReport record, typed; `raw` keeps the record as pushed. */
export interface CallRecordInput {
  callId: string;
  subId: string | null;
  outId: string | null;
  poolKey: string | null;
  phoneNo: string | null;
  peerNo: string | null;
  secretNo: string | null;
  callType: number | null;
  callTime: Date | null;
  startTime: Date | null;
  releaseTime: Date | null;
  releaseDir: number | null;
  releaseCause: number | null;
  recordUrl: string | null;
  raw: Record<string, unknown>;
}

export type ParsedCallRecord =
  { ok: true; record: CallRecordInput } | { ok: false; problem: string };

/** The provider sends some fields as numbers, some as strings; both are accepted. */
function text(raw: Record<string, unknown>, name: string, max: number): string | null {
  const value = raw[name];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > max ? null : trimmed;
}

function int(raw: Record<string, unknown>, name: string, max: number): number | null {
  const value = raw[name];
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= max ? n : null;
}

function time(raw: Record<string, unknown>, name: string): Date | null {
  const value = raw[name];
  return typeof value === 'string' ? (parseProviderDate(value.trim()) ?? null) : null;
}

/**
 * Reads one pushed call record. Only call_id is required (it makes the record unique); a field
 * that is missing or malformed is stored as null, the original stays in `raw`.
 */
export function parseCallRecord(value: unknown): ParsedCallRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: 'not an object' };
  }
  const raw = value as Record<string, unknown>;
  const callId = text(raw, 'call_id', 64);
  if (callId === null) return { ok: false, problem: 'call_id missing or invalid' };
  return {
    ok: true,
    record: {
      callId,
      subId: text(raw, 'sub_id', 64),
      outId: text(raw, 'out_id', 64),
      poolKey: text(raw, 'pool_key', 64),
      phoneNo: text(raw, 'phone_no', 20),
      peerNo: text(raw, 'peer_no', 20),
      secretNo: text(raw, 'secret_no', 20),
      callType: int(raw, 'call_type', 32767),
      callTime: time(raw, 'call_time'),
      startTime: time(raw, 'start_time'),
      releaseTime: time(raw, 'release_time'),
      releaseDir: int(raw, 'release_dir', 32767),
      releaseCause: int(raw, 'release_cause', 2 ** 31 - 1),
      recordUrl: text(raw, 'record_url', 2048),
      raw,
    },
  };
}
