import { Injectable } from '@nestjs/common';
import { maskPhone, maskPhonesInText } from '../../common/privacy/mask-phone.js';
import { PrismaService } from '../../prisma/prisma.service.js';

export interface DeadLetterInput {
  source: 'push' | 'queue';
  messageType: string;
  /** The MNS MessageId of a queued message: it is dead-lettered once, by whichever instance. */
  messageId?: string;
  reason: string;
  /** The record (or message body) as received. */
  payload: unknown;
  attempts?: number;
}

const PHONE_FIELDS = new Set([
  'phone_no',
  'peer_no',
  'secret_no',
  'called_display_no',
  'secretNo',
  'PhoneNoA',
  'PhoneNoB',
  'PhoneNoX',
]);
const MAX_PAYLOAD = 65_536;

/**
 * The payload as JSON text the database can hold (JSON.stringify escapes NUL and lone
 * surrogates), phone fields masked, then any remaining long digit run masked too.
 */
export function maskedPayload(payload: unknown): string {
  const text =
    typeof payload === 'string'
      ? JSON.stringify(payload)
      : (JSON.stringify(payload, (key, value: unknown) =>
          PHONE_FIELDS.has(key) && (typeof value === 'string' || typeof value === 'number')
            ? maskPhone(String(value))
            : value,
        ) ?? 'undefined');
  return maskPhonesInText(text).slice(0, MAX_PAYLOAD);
}

const INSERT = `
INSERT INTO dead_letters (source, message_type, message_id, reason, payload, attempts, received_at)
SELECT source, message_type, message_id, reason, payload, attempts, $2
  FROM jsonb_to_recordset($1::jsonb) AS d(
    source text, message_type text, message_id text, reason text, payload text, attempts int)
ON CONFLICT (message_type, message_id) WHERE message_id IS NOT NULL DO NOTHING`;

/** Provider records that could not be stored, kept with the reason for an operator. */
@Injectable()
export class DeadLettersRepository {
  constructor(private readonly prisma: PrismaService) {}

  async add(letters: readonly DeadLetterInput[], receivedAt: Date): Promise<void> {
    if (letters.length === 0) return;
    const rows = letters.map((l) => ({
      source: l.source,
      message_type: l.messageType.slice(0, 40),
      message_id: l.messageId ?? null,
      reason: maskPhonesInText(l.reason).slice(0, 500),
      payload: maskedPayload(l.payload),
      attempts: l.attempts ?? 1,
    }));
    await this.prisma.pgPool.query(INSERT, [JSON.stringify(rows), receivedAt]);
  }
}
