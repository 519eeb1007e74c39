import { parseProviderDate } from '../../protocol/provider-dates.js';

/**
 * Reading the fields of a provider report (pushed or queued), one policy for every report type:
 * - text the database cannot hold unaltered (NUL, a lone UTF-16 surrogate) anywhere in the
 *   record, keys included, makes the whole record unreadable: it is dead-lettered, not stored
 *   altered;
 * - a time outside [2000-01-01, received + 1 day] is absurd and makes the record unreadable too
 *   (it would sort wrongly for ever);
 * - any other missing or malformed field is stored as null, the original kept in `raw`.
 */

export type Raw = Record<string, unknown>;

/** Thrown by a reader when the record cannot be stored; the message is the reason. */
export class UnreadableReport extends Error {}

const EARLIEST = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (or key) holding NUL or a lone surrogate, else undefined. */
export function corruptTextAt(value: unknown, path = '$', depth = 0): string | undefined {
  if (depth > 32) return `${path} (nested too deep)`;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return `${path} holds NUL`;
    if (LONE_SURROGATE.test(value)) return `${path} holds a lone surrogate`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = corruptTextAt(item, `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = corruptTextAt(key, `${path} key`, depth + 1);
      if (keyProblem) return keyProblem;
      const found = corruptTextAt(item, `${path}.${key}`, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** The record as an object whose text the database can hold, or an UnreadableReport. */
export function readableObject(value: unknown): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnreadableReport('not an object');
  }
  const corrupt = corruptTextAt(value);
  if (corrupt) throw new UnreadableReport(corrupt);
  return value as Raw;
}

/** The provider sends some fields as numbers, some as strings; both are accepted. */
export function text(raw: Raw, name: string, max: number): string | null {
  const value = raw[name];
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > max ? null : trimmed;
}

export function int(raw: Raw, name: string, max: number): number | null {
  const value = raw[name];
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= max ? n : null;
}

function plausible(name: string, date: Date, receivedAt: Date): Date {
  const ms = date.getTime();
  if (ms < EARLIEST || ms > receivedAt.getTime() + DAY_MS) {
    throw new UnreadableReport(`${name} is out of range`);
  }
  return date;
}

/** A `YYYY-MM-DD hh:mm:ss` Beijing time; absurd values make the record unreadable. */
export function time(raw: Raw, name: string, receivedAt: Date): Date | null {
  const value = raw[name];
  if (typeof value !== 'string') return null;
  const date = parseProviderDate(value.trim());
  return date ? plausible(name, date, receivedAt) : null;
}

/** Epoch seconds or milliseconds (by magnitude), a provider date, or an ISO instant. */
export function instant(value: unknown): Date | undefined {
  if (typeof value === 'string' && /^\d{10,13}$/.test(value)) value = Number(value);
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    const date = new Date(value < 1e12 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  if (typeof value !== 'string') return undefined;
  const parsed = parseProviderDate(value.trim()) ?? new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** Like time(), for fields that may be epoch ms (SecretRecording's call_time). */
export function anyTime(raw: Raw, name: string, receivedAt: Date): Date | null {
  const date = instant(raw[name]);
  return date ? plausible(name, date, receivedAt) : null;
}

/** The call's id, required by every per-call report (Alibaba: at most 100 characters). */
export function callId(raw: Raw): string {
  const id = text(raw, 'call_id', 100);
  if (id === null) throw new UnreadableReport('call_id missing or invalid');
  return id;
}

/** sub_id (SecretRecording also says subs_id). */
export function subId(raw: Raw): string | null {
  return text(raw, 'sub_id', 64) ?? text(raw, 'subs_id', 64);
}
