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
const IN_TEXT = new RegExp(
  String.raw`(?<![0-9A-Za-z])(?:(${UUID})|(?:${PHONE}))(?![0-9A-Za-z])`,
  'g',
);

/**
 * Masks what looks like a phone number in free text (messages, URLs, provider answers), and
 * nothing else: a request id, a pool key or a count stays verbatim, so it can be searched for.
 */
export function maskPhonesInText(text: string): string {
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
