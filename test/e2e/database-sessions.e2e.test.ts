import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { WebhookDatabase } from '../../src/webhooks/webhook-database.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("the service's database sessions", () => {
  // JIT compiled a bind's small statements whose plans a function's `SET enable_seqscan = off`
  // priced past jit_above_cost: 100–170 ms of Postgres CPU each (src/prisma/bounded-pool.ts).
  it('run with JIT off on every pool the service opens', async () => {
    const pools = [t.app.get(PrismaService).pgPool, t.app.get(WebhookDatabase).pool];
    for (const pool of pools) {
      const { rows } = await pool.query<{ jit: string }>('SHOW jit');
      expect(rows[0].jit).toBe('off');
    }
  });
});
