/**
 * Subscriber number formats Dyplsapi accepts for A and B (isv.MOBILE_NUMBER_ILLEGAL otherwise):
 * a mainland mobile (11 digits starting with 1) or a fixed line written with its area code and no
 * separators: 0, a 2–3 digit area code (not starting with 0), then a 7–8 digit local number.
 */

const MOBILE = /^1\d{10}$/;
const FIXED_LINE = /^0[1-9]\d{1,2}\d{7,8}$/;

export function isMobileNumber(value: string): boolean {
  return MOBILE.test(value);
}

export function isFixedLineNumber(value: string): boolean {
  return FIXED_LINE.test(value);
}

/** True for the numbers Dyplsapi accepts as A or B. */
export function isSubscriberNumber(value: string): boolean {
  return isMobileNumber(value) || isFixedLineNumber(value);
}
