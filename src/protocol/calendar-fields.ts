/**
 * The wall-clock reading of `YYYY-MM-DD?hh:mm:ss` text as milliseconds since the epoch, as if
 * the reading were UTC, when `pattern` matches it with those six fields captured in that order;
 * undefined when it does not match or names a time or day that does not exist (24:00, 2026-02-30).
 * The one check behind the protocol's date parsers (provider dates, signing timestamps).
 */
export function wallClockMs(pattern: RegExp, text: string): number | undefined {
  const match = pattern.exec(text);
  if (!match) return undefined;
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
