import { randomFillSync } from 'node:crypto';

/** Random bytes drawn 256 ids at a time (randomBytes(16) per id was a call into the CSPRNG each). */
const POOL_BYTES = 16 * 256;
const pool = Buffer.alloc(POOL_BYTES);
let poolAt = POOL_BYTES;

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562: 48-bit Unix ms, 12-bit counter, random), strictly increasing within this
 * process. Delivery ids are pg-boss job ids: pg-boss orders a key's jobs by (created_on, id) and
 * the jobs of one dispatch share created_on, so these ids keep a binding's events in order.
 */
export function orderedUuid(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    lastMs += 1;
    sequence = 0;
  }
  if (poolAt === POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolAt, (poolAt += 16)));
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
