import { ValidateBy, type ValidationOptions } from 'class-validator';

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

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant a value of the API's date-time format names, or null when it is not one. */
export function parseApiDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const fraction = m[7] ?? '';
  if (year < MIN_YEAR || year > MAX_YEAR) return null;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  const date = new Date(utc);
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
