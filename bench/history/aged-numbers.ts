import { createHmac } from 'node:crypto';
import { maskPhone } from '../../src/common/privacy/mask-phone.js';
import type { AgedNumbers } from './history-rows.js';

/**
 * Aged numbers as privacy aging writes them (issue 22 item 2): the masked form (138****5678) in
 * the number's column, and HMAC-SHA256 of the number under PHONE_HASH_SECRET in its hash column,
 * so a search by the full number still finds the binding. `afterDays`: PHONE_MASK_AFTER_DAYS.
 */
export function agedNumbers(secret: string, afterDays: number): AgedNumbers {
  return {
    mask: maskPhone,
    // bytea in COPY text: \x and the hex digits, the backslash escaped for COPY.
    hash: (phone) => `\\\\x${createHmac('sha256', secret).update(phone).digest('hex')}`,
    afterMs: afterDays * 86_400_000,
  };
}
