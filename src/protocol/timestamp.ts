/** Parsing of the signing Timestamp (UTC `YYYY-MM-DDThh:mm:ssZ`, see formatTimestamp). */
import { wallClockMs } from './calendar-fields.js';

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** The instant a Timestamp names; undefined when malformed or not a real date. */
export function parseTimestamp(text: string): Date | undefined {
  const match = TIMESTAMP.exec(text);
  const utc = match ? wallClockMs(match) : undefined;
  return utc === undefined ? undefined : new Date(utc);
}
