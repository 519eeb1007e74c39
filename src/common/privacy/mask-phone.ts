/**
 * Masks a phone number for logs: keeps the first three and last four digits of long numbers
 * (138****5678), fewer for short ones, so an operator can still tell numbers apart without the log
 * ever holding a full real number (invariant 7). Separators are dropped.
 */
export function maskPhone(phone: string | null | undefined): string {
  if (phone === null || phone === undefined || phone === '') return '';
  if (phone.includes('*')) return phone; // already masked
  const digits = phone.replace(/\D/g, '');
  const n = digits.length;
  if (n >= 11) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  if (n >= 7) return `${digits.slice(0, 2)}****${digits.slice(-2)}`;
  return '*'.repeat(n);
}

/** One separator between digits: space, hyphen, dot, `+` (a URL's space) or their %-escapes. */
const SEP = String.raw`(?:[ \-.+]|%2[0BbDd])`;
const D = String.raw`\d`;
/**
 * What a phone number looks like in free text, with the separators people and URLs use:
 * mainland mobiles `1[3-9]x xxxx xxxx`, optionally after 86 / +86 / 0086; fixed lines with their
 * area code `0xx(x)-xxxx xxxx`; anything of 9–11 digits after an explicit +86 / 0086. Never part of
 * a longer token (letters or digits on either side), so ids, keys and hashes stay whole.
 */
const PHONE = [
  String.raw`(?:(?:\+|%2[Bb]|00)?86${SEP}?)?1[3-9]${D}(?:${SEP}?${D}){8}`,
  String.raw`0${D}{2,3}${SEP}?(?:${D}{7,8}|${D}{3,4}${SEP}${D}{4})`,
  String.raw`\(0${D}{2,3}\)${SEP}?(?:${D}{7,8}|${D}{3,4}${SEP}${D}{4})`,
  String.raw`(?:\+|%2[Bb]|00)86${SEP}?(?:${D}${SEP}?){8,10}${D}`,
].join('|');
/** A UUID is never a phone number: matched first and kept (request ids, binding ids). */
const UUID = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
/** A text that is one UUID and nothing else (a request id, a binding id). */
const ONE_UUID = new RegExp(`^${UUID}$`);
const IN_TEXT = new RegExp(
  String.raw`(?<![0-9A-Za-z])(?:(${UUID})|(?:${PHONE}))(?![0-9A-Za-z])`,
  'g',
);

/**
 * The fewest digits a match of PHONE holds: a fixed line, `0` + a 2-digit area code + 7 digits
 * (a mobile has 11; a separator's %-escape only adds digits). Text with fewer holds no number.
 */
const FEWEST_DIGITS = 10;

/** Whether `text` holds at least `n` ASCII digits (what `\d` matches), counted without a regex. */
function hasDigits(text: string, n: number): boolean {
  let seen = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++seen >= n) return true;
  }
  return false;
}

/**
 * Masks what looks like a phone number in free text (messages, URLs, provider answers), and
 * nothing else: a request id, a pool key or a count stays verbatim, so it can be searched for.
 * Every log line's strings pass here, most of them short and without a number (a route, a
 * message) or one id: those are answered by a count of their digits, or one anchored test,
 * without running the pattern.
 */
export function maskPhonesInText(text: string): string {
  if (!hasDigits(text, FEWEST_DIGITS) || (text.length === 36 && ONE_UUID.test(text))) return text;
  return text.replace(IN_TEXT, (match: string, uuid: string | undefined) => {
    if (uuid) return match;
    // Shown without the country code, as the number would be written at home.
    const digits = match
      .replace(/%[0-9A-Fa-f]{2}/g, ' ')
      .replace(/\D/g, '')
      .replace(/^(?:0086|86)(?=\d{9,11}$)/, '');
    return maskPhone(digits);
  });
}
