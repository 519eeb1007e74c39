/**
 * Masks a phone number for logs: keeps the first three and last four digits of long numbers
 * (138****5678), fewer for short ones, so an operator can still tell numbers apart without the log
 * ever holding a full real number (invariant 7).
 */
export function maskPhone(phone: string | null | undefined): string {
  if (phone === null || phone === undefined || phone === '') return '';
  const n = phone.length;
  if (n >= 11) return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
  if (n >= 7) return `${phone.slice(0, 2)}****${phone.slice(-2)}`;
  return '*'.repeat(n);
}

/** Masks every run of seven or more digits in free text (provider messages, response snippets). */
export function maskPhonesInText(text: string): string {
  return text.replace(/\d{7,}/g, (digits) => maskPhone(digits));
}
