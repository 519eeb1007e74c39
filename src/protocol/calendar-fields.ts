/**
 * The wall-clock reading of a matched `YYYY-MM-DD?hh:mm:ss` date-time as milliseconds since the
 * epoch, as if the reading were UTC, from a match whose first six captures are those fields in
 * that order; undefined when it names a time or day that does not exist (24:00, 2026-02-30).
 * The one calendar check behind every date parser: provider dates, signing timestamps and the
 * API's RFC 3339 dates (which add their fraction and offset to it).
 */
export function wallClockMs(match: RegExpExecArray): number | undefined {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 02-30 over into March; a round trip exposes days that do not exist.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}
