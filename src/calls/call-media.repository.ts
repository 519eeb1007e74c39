import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';

/** A call as its recording and transcript need it: how to address it at the provider, and more. */
export interface CallMedia {
  callId: string;
  /** The pool that carried the call, and when it was placed (QueryRecordFileDownloadUrl and
   * GetSecretAsrDetail address a call by them); null until a report said so. */
  poolKey: string | null;
  callTime: Date | null;
  bindingId: string | null;
  /** A SecretRecording message said the recording can be fetched. */
  recordingReady: boolean;
  /** The last download link and when it stops working. */
  downloadUrl: string | null;
  downloadUrlExpiresAt: Date | null;
}

// The call by its id, from its record (SecretReport) and its recording (SecretRecording), which
// arrive in either order; none when neither has arrived.
const FIND = `
  SELECT coalesce(c.call_id, r.call_id) AS "callId",
         coalesce(c.pool_key, c.partner_key, r.pool_key) AS "poolKey",
         coalesce(c.call_time, r.call_time) AS "callTime",
         c.binding_id AS "bindingId",
         r.call_id IS NOT NULL AS "recordingReady",
         r.download_url AS "downloadUrl",
         r.download_url_expires_at AS "downloadUrlExpiresAt"
    FROM (SELECT $1::text AS id) k
    LEFT JOIN call_records c ON c.call_id = k.id
    LEFT JOIN call_recordings r ON r.call_id = k.id
   WHERE c.call_id IS NOT NULL OR r.call_id IS NOT NULL`;

const STORE_LINK = `
  UPDATE call_recordings SET download_url = $2, download_url_expires_at = $3 WHERE call_id = $1`;

// Every hand-out of a recording or transcript: who, when, which call (and its binding).
const RECORD_ACCESS = `
  INSERT INTO access_log (actor, route, binding_ids, call_id, request_id, at)
  VALUES ($1, $2, $3::uuid[], $4, $5, $6)`;

/** Calls' recordings and their reads (plain `pg`). */
@Injectable()
export class CallMediaRepository {
  constructor(private readonly prisma: PrismaService) {}

  async find(callId: string): Promise<CallMedia | null> {
    const { rows } = await this.prisma.pgPool.query<CallMedia>(FIND, [callId]);
    return rows[0] ?? null;
  }

  async storeLink(callId: string, url: string, expiresAt: Date): Promise<void> {
    await this.prisma.pgPool.query(STORE_LINK, [callId, url, expiresAt]);
  }

  async recordAccess(
    call: CallMedia,
    access: { actor: string; route: string; requestId: string; at: Date },
  ): Promise<void> {
    await this.prisma.pgPool.query(RECORD_ACCESS, [
      access.actor,
      access.route,
      call.bindingId ? [call.bindingId] : [],
      call.callId,
      access.requestId,
      access.at,
    ]);
  }
}
