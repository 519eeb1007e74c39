/**
 * Dyplsapi writes dates as `YYYY-MM-DD hh:mm:ss` without a zone: Alibaba's Chinese region services
 * mean Beijing time (UTC+8, no daylight saving). Converting here, in one place, keeps the rest of
 * the service on Date instants. Shared by client and simulator: no framework imports.
 */

import { wallClockMs } from './calendar-fields.js';

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
const PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Formats an instant as Beijing wall-clock time; milliseconds are dropped (truncated). */
export function formatProviderDate(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('formatProviderDate: invalid Date');
  const b = new Date(ms + BEIJING_OFFSET_MS);
  return (
    `${pad(b.getUTCFullYear(), 4)}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ` +
    `${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}:${pad(b.getUTCSeconds())}`
  );
}

/**
 * Parses Beijing wall-clock time into an instant. Returns undefined for anything that is not
 * exactly that format or names a day that does not exist (2026-02-30), so callers can say which
 * field was bad.
 */
export function parseProviderDate(text: string): Date | undefined {
  const match = PATTERN.exec(text);
  const wall = match ? wallClockMs(match) : undefined;
  return wall === undefined ? undefined : new Date(wall - BEIJING_OFFSET_MS);
}
