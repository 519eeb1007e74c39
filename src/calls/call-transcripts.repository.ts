import { Injectable } from '@nestjs/common';
import type { CallTranscript } from '../generated/prisma/client.js';
import type { AsrSentence } from '../protocol/secret-asr.js';
import { PrismaService } from '../prisma/prisma.service.js';

/** A transcript to store: from a SecretAsrReport message, or from GetSecretAsrDetail. */
export interface TranscriptInput {
  callId: string;
  poolKey: string | null;
  secretNo: string | null;
  statusCode: string | null;
  bizDurationMs: number | null;
  sentences: AsrSentence[];
  source: 'message' | 'query';
}

// One per call: whichever arrives first is kept (a redelivered message stores nothing new).
const STORE = `
  INSERT INTO call_transcripts (call_id, pool_key, secret_no, status_code, biz_duration_ms,
                                sentences, source, received_at)
  SELECT t.call_id, t.pool_key, t.secret_no, t.status_code, t.biz_duration_ms, t.sentences,
         t.source, $2
    FROM jsonb_to_recordset($1::jsonb) AS t(call_id text, pool_key text, secret_no text,
         status_code text, biz_duration_ms int, sentences jsonb, source text)
  ON CONFLICT (call_id) DO NOTHING
  RETURNING call_id`;

/** call_transcripts: what was said on recorded calls (SecretAsrReport, GetSecretAsrDetail). */
@Injectable()
export class CallTranscriptsRepository {
  constructor(private readonly prisma: PrismaService) {}

  find(callId: string): Promise<CallTranscript | null> {
    return this.prisma.callTranscript.findUnique({ where: { callId } });
  }

  /** Stores the transcripts of calls that have none yet; returns how many were new. */
  async store(items: readonly TranscriptInput[], receivedAt: Date): Promise<number> {
    if (items.length === 0) return 0;
    const rows = items.map((t) => ({
      call_id: t.callId,
      pool_key: t.poolKey,
      secret_no: t.secretNo,
      status_code: t.statusCode,
      // A duration beyond the column (about 24 days of audio) is nonsense: kept as unknown.
      biz_duration_ms:
        t.bizDurationMs !== null && t.bizDurationMs >= 0 && t.bizDurationMs <= 2 ** 31 - 1
          ? t.bizDurationMs
          : null,
      sentences: t.sentences,
      source: t.source,
    }));
    const result = await this.prisma.pgPool.query(STORE, [JSON.stringify(rows), receivedAt]);
    return result.rowCount ?? 0;
  }
}
