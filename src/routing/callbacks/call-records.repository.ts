import { Injectable } from '@nestjs/common';
import { Prisma } from '../../generated/prisma/client.js';
import { EventKind } from '../../bindings/binding-states.js';
import { BindingsRepository } from '../../bindings/bindings.repository.js';
import { PrismaService } from '../../prisma/prisma.service.js';
import { callDirection, callDurationSeconds } from '../call-record.view.js';
import type { CallRecordInput } from './call-record.parser.js';

export interface StoreOutcome {
  /** False when the record was already stored (a second delivery). */
  stored: boolean;
  bindingId: string | null;
}

/** Call records pushed by the provider, each stored once, linked to its binding. */
@Injectable()
export class CallRecordsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly bindings: BindingsRepository,
  ) {}

  /**
   * Stores the record unless its call_id is already there, and in the same transaction writes the
   * binding's `call_recorded` event: concurrent deliveries of one record store one row and one
   * event (the second insert waits for the first and then does nothing).
   */
  store(record: CallRecordInput, receivedAt: Date): Promise<StoreOutcome> {
    return this.prisma.$transaction(async (tx) => {
      const bindingId = await this.findBinding(tx, record);
      const inserted = await tx.$queryRaw<Array<{ id: bigint }>>(Prisma.sql`
        INSERT INTO call_records (call_id, binding_id, sub_id, out_id, pool_key, phone_no, peer_no,
                                  secret_no, call_type, call_time, start_time, release_time,
                                  release_dir, release_cause, record_url, received_at, raw)
        VALUES (${record.callId}, ${bindingId}::uuid, ${record.subId}, ${record.outId},
                ${record.poolKey}, ${record.phoneNo}, ${record.peerNo}, ${record.secretNo},
                ${record.callType}::smallint, ${record.callTime}, ${record.startTime},
                ${record.releaseTime}, ${record.releaseDir}::smallint,
                ${record.releaseCause}::int, ${record.recordUrl}, ${receivedAt},
                ${JSON.stringify(record.raw)}::jsonb)
        ON CONFLICT (call_id) DO NOTHING
        RETURNING id`);
      if (inserted.length === 0) return { stored: false, bindingId };
      if (bindingId) {
        await this.bindings.addEvent(
          tx,
          bindingId,
          {
            kind: EventKind.callRecorded,
            actor: 'provider',
            details: {
              callId: record.callId,
              direction: callDirection(record.callType),
              callTime: record.callTime?.toISOString() ?? null,
              durationSeconds: callDurationSeconds(record.startTime, record.releaseTime),
              releaseCause: record.releaseCause,
              recorded: record.recordUrl !== null,
            },
          },
          receivedAt,
        );
      }
      return { stored: true, bindingId };
    });
  }

  /** The binding by the provider's SubsId, else by the order id echoed in the record. */
  private async findBinding(
    tx: Prisma.TransactionClient,
    record: CallRecordInput,
  ): Promise<string | null> {
    if (record.subId) {
      const [row] = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
        SELECT id FROM bindings WHERE subs_id = ${record.subId}
         ORDER BY created_at DESC LIMIT 1`);
      if (row) return row.id;
    }
    if (record.outId) {
      const pool = record.poolKey ? Prisma.sql`AND pool_key = ${record.poolKey}` : Prisma.empty;
      // The order's binding that was live when the call was placed, else its latest.
      const at = record.callTime ?? record.releaseTime;
      const [row] = await tx.$queryRaw<Array<{ id: string }>>(Prisma.sql`
        SELECT id FROM bindings WHERE out_id = ${record.outId} ${pool}
         ORDER BY (${at}::timestamptz IS NOT NULL AND created_at <= ${at}::timestamptz
                   AND coalesce(ended_at, expires_at) >= ${at}::timestamptz) DESC,
                  created_at DESC
         LIMIT 1`);
      if (row) return row.id;
    }
    return null;
  }
}
