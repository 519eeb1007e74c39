/** Parsing of the signing Timestamp (UTC `YYYY-MM-DDThh:mm:ssZ`, see formatTimestamp). */

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** The instant a Timestamp names; undefined when malformed or not a real date. */
export function parseTimestamp(text: string): Date | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
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
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 02-30 over into March; a round trip exposes days that do not exist.
  if (new Date(utc).getUTCDate() !== day) return undefined;
  return new Date(utc);
}
