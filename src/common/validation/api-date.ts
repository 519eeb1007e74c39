import { ValidateBy, type ValidationOptions } from 'class-validator';
import { wallClockMs } from '../../protocol/calendar-fields.js';

/**
 * The one date-time format of the API: RFC 3339's profile of ISO-8601, e.g.
 * `2026-11-30T12:00:00Z`, `2026-11-30T20:00:00.5+08:00`. Always the full date, `T`, hours, minutes
 * and seconds, an optional `.fraction` (1–9 digits), and `Z` or a `±hh:mm` offset. Everything else
 * ISO-8601 allows (week and ordinal dates, the basic format, reduced precision, `+08`, comma
 * fractions, lower-case separators) is refused, so every accepted value means exactly one instant.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/** Years the API accepts: wide enough for any real expiry or search, narrow enough for Postgres. */
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

export const API_DATE_FORMAT =
  'an RFC 3339 date-time like 2026-11-30T12:00:00Z or 2026-11-30T20:00:00+08:00';

/** The instant a value of the API's date-time format names, or null when it is not one. */
export function parseApiDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  if (year < MIN_YEAR || year > MAX_YEAR) return null;
  const wall = wallClockMs(m);
  if (wall === undefined) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const date = new Date(wall + ms - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** class-validator rule for the API's date-time format (see parseApiDate). */
export function IsApiDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isApiDate',
      validator: {
        validate: (value: unknown) => parseApiDate(value) !== null,
        defaultMessage: (args) => `${args?.property} must be ${API_DATE_FORMAT}`,
      },
    },
    options,
  );
}
