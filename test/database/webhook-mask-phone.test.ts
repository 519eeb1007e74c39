import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone } from '../../src/common/privacy/mask-phone.js';
import type { PrismaService } from '../../src/prisma/prisma.service.js';
import { openPrisma } from '../support/prisma.js';

let prisma: PrismaService;
beforeAll(async () => {
  prisma = await openPrisma();
});
afterAll(async () => {
  await prisma.onModuleDestroy();
});

/**
 * The outbox triggers mask numbers in SQL (webhook_mask_phone, prisma/sql/080_webhook_outbox.sql):
 * it must mask exactly as src/common/privacy/mask-phone.ts does, so a webhook never carries more
 * of a number than a log line.
 */
describe('webhook_mask_phone() and maskPhone() agree', () => {
  it('on phone-like and arbitrary strings', async () => {
    const phones = fc.oneof(
      fc.stringMatching(/^1[3-9]\d{9}$/),
      fc.stringMatching(/^0\d{2,3}-?\d{7,8}$/),
      fc.stringMatching(/^\+?86 ?\d{3} ?\d{4} ?\d{4}$/),
      fc.string({ minLength: 1, maxLength: 24 }),
    );
    const samples = fc.sample(phones, { numRuns: 400, seed: 24 });
    const { rows } = await prisma.pgPool.query<{ masked: string | null }>(
      'SELECT webhook_mask_phone(p) AS masked FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i',
      [samples],
    );
    samples.forEach((phone, i) =>
      expect(rows[i]!.masked ?? '', JSON.stringify(phone)).toBe(maskPhone(phone)),
    );
    expect(maskPhone('13812345678')).toBe('138****5678');
  });
});

/**
 * The binding trigger calls webhook_mask_phone three times per event, inside the bind's own
 * transaction. A `LANGUAGE sql` function that cannot be inlined (a sub-select, as it had) is
 * planned again at every statement that calls it: that was more than half of what an event cost
 * a bind (README: Benchmarks, webhooks). plpgsql keeps its plans for the session.
 */
describe("the outbox trigger's helpers keep their plans", () => {
  it('webhook_mask_phone and webhook_wanted_types are plpgsql', async () => {
    const { rows } = await prisma.pgPool.query<{ proname: string; lang: string }>(
      `SELECT p.proname, l.lanname AS lang FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.proname IN ('webhook_mask_phone', 'webhook_wanted_types') ORDER BY p.proname`,
    );
    expect(rows).toEqual([
      { proname: 'webhook_mask_phone', lang: 'plpgsql' },
      { proname: 'webhook_wanted_types', lang: 'plpgsql' },
    ]);
  });
});
